"""Public pages are rendered once per language and content version (apps.core.pagecache), and still each visitor
gets their own CSRF token, form key, path, messages, cookie choice and language; a staff change shows on the
next request."""

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.utils import timezone

from apps.audit.services import Actor
from apps.consent.models import Purpose
from apps.consent.services import purpose_save
from apps.cookies.models import CookieCategory
from apps.cookies.seed import seed_demo as seed_cookies
from apps.cookies.services import cookie_declaration_ensure
from apps.core.pagecache import WARM_PATHS, pages_forget, pages_warm
from apps.subjects.models import Controller, Vacancy
from apps.subjects.services import vacancy_close, vacancy_save
from tests.consent.helpers import application_post, send_form
from tests.policies.helpers import publish

pytestmark = pytest.mark.django_db
STAFF = Actor.system("test")
PAGES = ["/", "/apply/", "/cookies/", "/jobs/", "/privacy/", "/privacy/versions/1/"]


def _field(page: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', page).group(1)


def _served_from_cache(response) -> bool:
    return not response.templates  # the test client lists every template a response rendered


@pytest.fixture
def site(demo_purposes) -> None:
    """Vacancies, purposes, policy v1 and the cookie catalogue."""
    seed_cookies(io.StringIO())


def test_a_second_visitor_gets_the_cached_form_with_their_own_token_and_key_and_can_send_it(site):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    page_a = first.get("/apply/").content.decode()
    response = second.get("/apply/")
    page_b = response.content.decode()
    assert _served_from_cache(response)
    token_a, token_b = _field(page_a, "csrfmiddlewaretoken"), _field(page_b, "csrfmiddlewaretoken")
    assert token_a != token_b and "pp-mark-" not in page_b
    assert _field(page_a, "key") != _field(page_b, "key")
    assert first.cookies["csrftoken"].value != second.cookies["csrftoken"].value
    # The other visitor's token is refused; the visitor's own is accepted, and the form goes through.
    refused = second.post("/apply/", application_post(key=_field(page_b, "key"), csrfmiddlewaretoken=token_a))
    assert refused.status_code == 403
    sent = second.post("/apply/", application_post(key=_field(page_b, "key"), csrfmiddlewaretoken=token_b))
    assert sent.status_code == 302 and sent["Location"] == "/sent/code/"  # held for the emailed code


@pytest.mark.parametrize("path", PAGES)
def test_every_cached_page_carries_the_visitors_own_token_in_each_form(site, path):
    Client().get(path)  # fills the cache
    client = Client()
    response = client.get(path)
    page = response.content.decode()
    assert _served_from_cache(response)
    tokens = re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert tokens and "pp-mark-" not in page
    # Each form's token is a masking of this visitor's cookie secret (Django checks exactly this).
    from django.middleware.csrf import _unmask_cipher_token

    assert {_unmask_cipher_token(t) for t in tokens} == {client.cookies["csrftoken"].value}


def test_the_language_switch_returns_each_visitor_to_their_own_path(site):
    Client().get("/?from=a")
    page = Client().get('/?from=b&to="><script>').content.decode()
    # The banner's form and both language forms; the path as the browser sent it, escaped.
    assert page.count('value="/?from=b&amp;to=%22%3E%3Cscript%3E"') == 3 and "from=a" not in page


def test_swahili_is_served_in_swahili_and_english_in_english(site):
    for language, words, lang in [("en", "Apply for a job", 'lang="en"'), ("sw", "Omba kazi", 'lang="sw"'),
                                  ("en", "Apply for a job", 'lang="en"')]:
        page = Client(headers={"accept-language": language}).get("/apply/").content.decode()
        assert lang in page and words in page


def test_a_visitors_messages_are_shown_to_them_once_and_never_to_another(site):
    Client().get("/")  # the page is cached without messages
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(messages.SUCCESS, "Your changes are saved.")
    carrier = HttpResponse()
    storage.update(carrier)
    visitor = Client()
    visitor.cookies["messages"] = carrier.cookies["messages"].value
    assert "Your changes are saved." in visitor.get("/").content.decode()
    assert "Your changes are saved." not in visitor.get("/").content.decode()
    assert "Your changes are saved." not in Client().get("/").content.decode()


def test_the_banner_stays_true_to_each_visitors_choice_and_gpc(site):
    Client().get("/")
    gpc = Client(headers={"sec-gpc": "1"}).get("/").content.decode()
    plain = Client().get("/").content.decode()
    assert re.search(r'<p class="cc-gpc" data-cc-gpc>', gpc)
    assert re.search(r'<p class="cc-gpc" data-cc-gpc hidden>', plain)
    chooser = Client()
    chooser.post("/cookies/save/", {"action": "accept_all"})
    chosen = chooser.get("/").content.decode()
    assert 'id="cookie-banner"' not in chosen and '"analytics"' in chosen
    assert 'id="cookie-banner"' in Client().get("/").content.decode()


def test_the_cookie_page_gives_each_visitor_the_day_of_their_own_choice(site):
    chooser = Client()
    chooser.post("/cookies/save/", {"action": "reject_all"})
    Client().get("/cookies/")
    assert "You made your choice on" in chooser.get("/cookies/").content.decode()
    assert "You have not made a choice yet" in Client().get("/cookies/").content.decode()
    other = Client()
    other.post("/cookies/save/", {"action": "reject_all"})
    response = other.get("/cookies/")
    assert _served_from_cache(response) and "You made your choice on" in response.content.decode()
    assert "pp-mark-" not in response.content.decode()


def test_a_changed_purpose_shows_on_the_next_request(site):
    Client().get("/apply/")
    purpose = Purpose.objects.get(slug="marketing")
    purpose.explanation_en = "We send you news of other jobs once a month, and never sell your address."
    purpose_save(purpose=purpose, actor=STAFF, changed=["explanation"])
    assert "never sell your address" in Client().get("/apply/").content.decode()


def test_a_new_policy_version_shows_on_the_next_request(site):
    assert "version 1)" in Client().get("/apply/").content.decode()
    publish()
    assert "version 2)" in Client().get("/apply/").content.decode()


def test_a_new_cookie_declaration_shows_on_the_next_request(site):
    assert "pp_newcookie" not in Client().get("/cookies/").content.decode()
    cookie_declaration_ensure(name="pp_newcookie", provider="Us", purpose="Remembers something new",
                              duration="1 day", category=CookieCategory.objects.get(slug="preferences"))
    assert "pp_newcookie" in Client().get("/cookies/").content.decode()


def test_a_vacancy_published_or_closed_shows_on_the_next_request(site):
    for path in ("/", "/apply/"):
        Client().get(path)
    vacancy = vacancy_save(vacancy=Vacancy(controller=Controller.objects.first(), title_en="Night baker",
                                           description_en="Bake bread.", location_en="Kisumu",
                                           closing_date="2030-01-01"), actor=STAFF, changed=["title"])
    assert "Night baker" in Client().get("/").content.decode()
    assert "Night baker" in Client().get("/apply/").content.decode()
    assert "Night baker" in Client().get(f"/apply/?vacancy={vacancy.pk}").content.decode()
    vacancy_close(vacancy=vacancy, actor=STAFF)
    assert "Night baker" not in Client().get("/").content.decode()
    assert Client().get(f"/apply/?vacancy={vacancy.pk}").status_code == 410


def test_a_job_page_is_kept_while_the_job_is_open_and_says_closed_once_it_is(site):
    vacancy = vacancy_save(vacancy=Vacancy(controller=Controller.objects.first(), title_en="Night baker",
                                           description_en="Bake bread.", location_en="Kisumu",
                                           closing_date="2030-01-01"), actor=STAFF, changed=["title"])
    Client().get(f"/jobs/{vacancy.pk}/")
    response = Client().get(f"/jobs/{vacancy.pk}/")
    assert _served_from_cache(response) and "Bake bread." in response.content.decode()
    assert "Night baker" in Client().get("/jobs/").content.decode()
    vacancy_close(vacancy=vacancy, actor=STAFF)
    assert Client().get(f"/jobs/{vacancy.pk}/").status_code == 410
    assert "Night baker" not in Client().get("/jobs/").content.decode()
    assert Client().get("/jobs/00000000-0000-4000-8000-000000000000/").status_code == 404


def test_a_policy_version_published_ahead_takes_over_the_policy_page_on_its_date(site):
    Client().get("/privacy/"), Client().get("/privacy/versions/1/")
    publish(effective_at=timezone.now() + timedelta(days=30))
    assert "Version 1, in force from" in Client().get("/privacy/").content.decode()
    assert "Version 2, published; in force from" in Client().get("/privacy/versions/2/").content.decode()
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert "Version 2, in force from" in Client().get("/privacy/").content.decode()
        assert "replaced since" in Client().get("/privacy/versions/1/").content.decode()


@pytest.mark.django_db(transaction=True)  # the view closes the connection it found broken
def test_a_page_without_the_job_list_is_not_kept(site, monkeypatch):
    from django.db import OperationalError

    def broken():
        raise OperationalError("the database went away")

    with monkeypatch.context() as patched:
        patched.setattr("apps.recruitment.views.vacancies_open", broken)
        assert "We cannot show the list of jobs just now." in Client().get("/").content.decode()
    assert "We cannot show the list of jobs just now." not in Client().get("/").content.decode()


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("language", ["en", "sw"])
def test_a_cached_page_asks_the_database_nothing(site, path, language, django_assert_num_queries):
    Client(headers={"accept-language": language}).get(path)
    with django_assert_num_queries(0):
        assert Client(headers={"accept-language": language}).get(path).status_code == 200


def test_a_visitor_with_a_session_costs_one_statement_its_session(site, django_assert_max_num_queries):
    visitor = Client()
    assert send_form(visitor, "/apply/", application_post()).status_code == 302  # the done page's session
    Client().get("/")
    with django_assert_max_num_queries(1):
        response = visitor.get("/")
    assert _served_from_cache(response)


def test_a_page_that_rendered_a_visitors_real_token_is_not_kept(site, rf):
    from django.middleware.csrf import _unmask_cipher_token, get_token

    from apps.core.pagecache import cached_page

    renders = []

    def render(marks: dict) -> HttpResponse:  # a template not written for the page cache
        renders.append(marks)
        return HttpResponse(f"<p>{get_token(request)}</p>")

    for _visitor in range(2):
        request = rf.get("/a-page/")
        response = cached_page(request, name="test", depends=(), render=render)
        token = response.content.decode().removeprefix("<p>").removesuffix("</p>")
        assert _unmask_cipher_token(token) == request.META["CSRF_COOKIE"]  # this visitor's own
    assert len(renders) == 2  # rendered for each visitor, never served from the cache


def test_a_new_web_process_warms_its_pages_before_its_first_visitor(site, settings):
    settings.SITE_URL = "https://testserver"
    pages_forget()  # a process just started: nothing held
    assert pages_warm() == 2 * len(WARM_PATHS)  # every page in English and Swahili
    for path in WARM_PATHS:
        for language in ("en", "sw"):
            response = Client().get(path, HTTP_ACCEPT_LANGUAGE=language, secure=True)
            assert response.status_code == 200 and _served_from_cache(response), (path, language)
