"""The banner, the preference centre and the save endpoint, through Django's test client."""

import json
import re

import pytest
from django.urls import reverse

from apps.cookies.models import CookieConsent, CookieDeclaration

pytestmark = pytest.mark.django_db


def _checked_switches(body: str) -> set[str]:
    switches = re.findall(r'<input type="checkbox" role="switch" aria-checked="(true|false)" name="category" '
                          r'value="([^"]+)"([^>]*)>', body)
    checked = {value for _aria, value, attrs in switches if re.search(r"(?<![\w-])checked(?![\w=-])", attrs)}
    assert checked == {value for aria, value, _attrs in switches if aria == "true"}  # aria-checked agrees
    return checked


def test_a_first_visit_shows_the_banner_with_accept_and_reject_side_by_side(client, catalogue):
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="cookie-banner"' in body and 'aria-labelledby="cc-title"' in body
    actions = body[body.index('class="cc-actions"'):body.index("</div>", body.index('class="cc-actions"'))]
    assert 'value="accept_all"' in actions and 'value="reject_all"' in actions
    assert "<summary>Choose</summary>" in body
    # Only necessary is on, and it cannot be switched off.
    assert _checked_switches(body) == {"necessary"}
    assert re.search(r'id="cc-necessary"[^>]*checked disabled', body)


def test_a_first_visit_sets_no_cookie_but_the_csrf_token(client, catalogue):
    response = client.get("/")
    assert set(response.cookies) <= {"csrftoken"}


def test_the_banner_posts_back_to_the_page_it_was_shown_on(client, catalogue):
    body = client.get("/privacy/?x=1").content.decode()
    assert 'name="next" value="/privacy/?x=1"' in body


def test_reject_all_logs_the_choice_stores_it_and_redirects_back(client, catalogue):
    response = client.post(reverse("cookies:save"), {"action": "reject_all", "next": "/privacy/"})
    assert response.status_code == 303
    assert response["Location"] == "/privacy/"
    consent = CookieConsent.objects.get()
    assert consent.action == CookieConsent.Action.REJECT_ALL
    assert consent.choices == {"necessary": True, "preferences": False, "analytics": False, "marketing": False}
    cookie = response.cookies["pp_consent"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert int(cookie["max-age"]) == 365 * 24 * 3600
    # The banner is gone, on every page.
    assert 'id="cookie-banner"' not in client.get("/").content.decode()
    assert 'id="cookie-banner"' not in client.get("/privacy/").content.decode()


@pytest.mark.parametrize("next_url", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example", "javascript:alert(1)",
    "http://testserver.evil.example/", "", "/cookies/save/",
])
def test_an_unsafe_next_url_sends_the_visitor_home(client, catalogue, next_url):
    response = client.post(reverse("cookies:save"), {"action": "reject_all", "next": next_url})
    assert response.status_code == 303
    assert response["Location"] == "/"


def test_a_same_site_next_url_with_a_query_is_kept(client, catalogue):
    response = client.post(reverse("cookies:save"), {"action": "accept_all", "next": "/privacy/?a=1&b=2"})
    assert response["Location"] == "/privacy/?a=1&b=2"


def test_a_script_saves_and_gets_json_instead_of_a_redirect(client, catalogue):
    response = client.post(reverse("cookies:save"), {"action": "save", "category": ["analytics"]},
                           HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["allowed"] == ["analytics", "necessary"]
    assert "saved" in data["message"]
    assert "pp_consent" in response.cookies


def test_an_unknown_category_is_ignored_and_necessary_cannot_be_refused(client, catalogue):
    client.post(reverse("cookies:save"), {"action": "save", "category": ["analytics", "tracking-pixel"]})
    assert CookieConsent.objects.get().choices == {
        "necessary": True, "preferences": False, "analytics": True, "marketing": False,
    }


def test_an_unknown_action_is_refused(client, catalogue):
    response = client.post(reverse("cookies:save"), {"action": "accept_some"})
    assert response.status_code == 400
    assert not CookieConsent.objects.exists()


def test_saving_needs_a_post_with_a_csrf_token(catalogue):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.get(reverse("cookies:save")).status_code == 405
    assert strict.post(reverse("cookies:save"), {"action": "reject_all"}).status_code == 403
    assert not CookieConsent.objects.exists()


def test_withdrawing_a_category_deletes_its_declared_cookies(client, catalogue):
    client.post(reverse("cookies:save"), {"action": "accept_all"})
    client.cookies["_pp_analytics"] = "3"
    client.cookies["_pp_marketing"] = "1"
    client.cookies["unrelated"] = "kept"
    response = client.post(reverse("cookies:save"), {"action": "save", "category": ["marketing"]})
    assert response.cookies["_pp_analytics"]["max-age"] == 0
    assert "_pp_marketing" not in response.cookies
    assert "unrelated" not in response.cookies


def test_a_declared_pattern_covers_every_cookie_with_its_prefix(client, catalogue):
    CookieDeclaration.objects.create(name="_pp_a_*", provider="This site", category=catalogue["analytics"],
                                     purpose="Session analytics.", duration="1 day")
    client.cookies["_pp_a_1"] = "x"
    client.cookies["_pp_a_2"] = "y"
    client.cookies["_pp_b"] = "z"
    response = client.post(reverse("cookies:save"), {"action": "reject_all"})
    assert {"_pp_a_1", "_pp_a_2"} <= {n for n, c in response.cookies.items() if c["max-age"] == 0}
    assert "_pp_b" not in response.cookies


def test_any_page_deletes_cookies_of_categories_the_visitor_has_not_allowed(client, catalogue):
    client.cookies["_pp_analytics"] = "1"  # e.g. left over from a choice that has expired
    response = client.get("/privacy/")
    assert response.cookies["_pp_analytics"]["max-age"] == 0
    assert "Sec-GPC" in response["Vary"]


def test_an_allowed_category_keeps_its_cookies(client, catalogue):
    client.post(reverse("cookies:save"), {"action": "accept_all"})
    client.cookies["_pp_analytics"] = "1"
    response = client.get("/")
    assert "_pp_analytics" not in response.cookies


def test_the_preference_centre_lists_every_declared_cookie_and_the_current_choice(client, catalogue):
    body = client.get(reverse("cookies:preferences")).content.decode()
    for name in ["csrftoken", "sessionid", "django_language", "pp_consent", "pp_sent", "_pp_analytics",
                 "_pp_marketing"]:
        assert f"<code>{name}</code>" in body
    assert "You have not made a choice yet" in body
    assert 'id="cookie-banner"' not in body  # the page is the banner's full version
    client.post(reverse("cookies:save"), {"action": "save", "category": ["analytics"]})
    body = client.get(reverse("cookies:preferences")).content.decode()
    assert "You made your choice on" in body
    assert _checked_switches(body) == {"necessary", "analytics"}


def test_the_footer_links_to_the_preference_centre(client, catalogue):
    assert f'href="{reverse("cookies:preferences")}"' in client.get("/").content.decode()


def test_every_page_carries_the_strict_content_security_policy(client, catalogue):
    policy = client.get("/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives == {
        "default-src": "'self'", "script-src": "'self'", "style-src": "'self'", "img-src": "'self' data:",
        "object-src": "'none'", "base-uri": "'none'", "frame-ancestors": "'none'", "form-action": "'self'",
    }


def test_pages_have_no_inline_script_or_style(client, catalogue):
    for url in ["/", reverse("cookies:preferences")]:
        body = client.get(url).content.decode()
        assert " style=" not in body and "<style" not in body
        for tag in re.findall(r"<script[^>]*>", body):
            assert 'src="' in tag or 'type="application/json"' in tag or 'type="text/plain"' in tag, tag
        assert not re.search(r"<script(?![^>]*type=\"application/json\")[^>]*>[^<\s]", body)


def test_gated_scripts_are_inert_in_the_html(client, catalogue):
    body = client.get("/").content.decode()
    assert ('<script type="text/plain" data-cookie-category="analytics" data-src="/static/cookies/demo-analytics.js">'
            in body)
