"""{% cookie_allowed %}: content rendered only for visitors who allowed its category."""

import pytest
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db

TEMPLATE = Template(
    '{% load cookies %}{% cookie_allowed "analytics" %}ANALYTICS{% else %}NONE{% endcookie_allowed %}'
    "|{% cookie_allowed category %}VAR{% endcookie_allowed %}"
)


def _render(request) -> str:
    return TEMPLATE.render(Context({"request": request, "category": "marketing"}))


def _request_with_cookies(client) -> object:
    request = RequestFactory().get("/")
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    return request


def test_it_renders_nothing_gated_before_a_choice(catalogue):
    assert _render(RequestFactory().get("/")) == "NONE|"


def test_it_renders_what_the_visitor_allowed(client, catalogue):
    client.post(reverse("cookies:save"), {"action": "save", "category": ["analytics"]})
    assert _render(_request_with_cookies(client)) == "ANALYTICS|"
    client.post(reverse("cookies:save"), {"action": "accept_all"})
    assert _render(_request_with_cookies(client)) == "ANALYTICS|VAR"


def test_it_refuses_without_a_request_to_judge_by(catalogue):
    assert TEMPLATE.render(Context({})) == "NONE|"


def test_it_needs_exactly_one_category():
    with pytest.raises(TemplateSyntaxError):
        Template('{% load cookies %}{% cookie_allowed %}x{% endcookie_allowed %}')


def test_the_preference_centre_uses_it_to_say_analytics_is_on(client, catalogue):
    assert "Analytics is on for you" not in client.get(reverse("cookies:preferences")).content.decode()
    client.post(reverse("cookies:save"), {"action": "accept_all"})
    assert "Analytics is on for you" in client.get(reverse("cookies:preferences")).content.decode()


def test_an_unreadable_catalogue_fails_closed(client, catalogue, monkeypatch):
    from apps.cookies import selectors

    client.post(reverse("cookies:save"), {"action": "accept_all"})

    def broken(**kwargs):
        raise selectors.CookieCategory.DoesNotExist("the database is away")

    monkeypatch.setattr(selectors, "consent_state_for", broken)
    response = client.get("/")
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="cookie-banner"' not in body and '"allowed": []' in body
    assert client.post(reverse("cookies:save"), {"action": "accept_all"}).status_code == 503
