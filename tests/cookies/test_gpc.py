"""Global Privacy Control, honoured on the server before the page renders."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from apps.cookies import consent_cookie
from apps.cookies.models import CookieConsent

pytestmark = pytest.mark.django_db

GPC = {"HTTP_SEC_GPC": "1"}


def test_with_gpc_the_banner_says_the_signal_is_honoured_and_nothing_optional_is_on(client, catalogue):
    body = client.get("/", **GPC).content.decode()
    assert 'class="cc-gpc" data-cc-gpc>' in body  # shown, not hidden
    assert "Global Privacy Control signal, and we honour it" in body
    assert '"allowed": ["necessary"]' in body and '"gpc": true' in body


def test_without_gpc_the_notice_waits_hidden_for_the_script(client, catalogue):
    body = client.get("/").content.decode()
    assert 'class="cc-gpc" data-cc-gpc hidden>' in body


def test_saving_under_gpc_logs_the_signal_and_that_it_decided_the_default(client, catalogue):
    client.post(reverse("cookies:save"), {"action": "save", "category": ["preferences"]}, **GPC)
    consent = CookieConsent.objects.get()
    assert consent.gpc and consent.gpc_decided
    assert consent.choices["analytics"] is False and consent.choices["marketing"] is False


def test_the_script_can_report_the_signal_when_the_header_is_missing(client, catalogue):
    client.post(reverse("cookies:save"), {"action": "save", "gpc": "1"})
    assert CookieConsent.objects.get().gpc


def test_gpc_overrides_an_earlier_choice_made_without_it_once_and_logs_it(client, catalogue):
    client.post(reverse("cookies:save"), {"action": "accept_all"})
    client.cookies["_pp_analytics"] = "4"
    response = client.get("/", **GPC)
    body = response.content.decode()
    assert 'id="cookie-banner"' not in body  # the visitor had chosen; GPC only takes away
    assert '"allowed": ["necessary", "preferences"]' in body
    assert response.cookies["_pp_analytics"]["max-age"] == 0
    logged = CookieConsent.objects.order_by("created_at", "pk").last()
    assert logged.action == CookieConsent.Action.GPC and logged.gpc and logged.gpc_decided
    assert logged.choices == {"necessary": True, "preferences": True, "analytics": False, "marketing": False}
    # The override is now the stored choice: not logged again on the next page.
    client.get("/privacy/", **GPC)
    assert CookieConsent.objects.count() == 2


def test_an_explicit_opt_in_made_under_gpc_stands(client, catalogue):
    client.post(reverse("cookies:save"), {"action": "save", "category": ["analytics"]}, **GPC)
    body = client.get("/", **GPC).content.decode()
    assert '"allowed": ["analytics", "necessary"]' in body
    assert CookieConsent.objects.count() == 1


def test_without_the_header_the_page_tells_the_script_what_gpc_would_take_away(client, catalogue):
    client.post(reverse("cookies:save"), {"action": "accept_all"})
    body = client.get("/").content.decode()
    assert '"stale": ["analytics", "marketing"]' in body and '"csrf": "' in body


def test_the_scripts_gpc_override_applies_only_with_the_signal_and_an_earlier_choice(client, catalogue):
    assert client.post(reverse("cookies:save"), {"action": "gpc", "gpc": "1"}).status_code == 400
    client.post(reverse("cookies:save"), {"action": "accept_all"})
    assert client.post(reverse("cookies:save"), {"action": "gpc"}).status_code == 400
    response = client.post(reverse("cookies:save"), {"action": "gpc", "gpc": "1", "category": ["marketing"]},
                           HTTP_ACCEPT="application/json")
    assert response.json()["allowed"] == ["necessary", "preferences"]  # the held choice, less what GPC covers
    assert CookieConsent.objects.order_by("created_at", "pk").last().action == CookieConsent.Action.GPC


def test_the_site_declares_global_privacy_control_support(client):
    response = client.get("/.well-known/gpc.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    data = response.json()
    assert data["gpc"] is True
    assert len(data["lastUpdate"]) == 10 and data["lastUpdate"][4] == "-"


def test_a_gpc_override_does_not_make_the_earlier_choice_last_longer_than_stated(client, catalogue):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        client.post(reverse("cookies:save"), {"action": "accept_all"})
    with time_machine.travel(start + timedelta(days=360), tick=False):
        response = client.get("/", **GPC)  # the override is recorded for the visitor, not chosen by them
        cookie = response.cookies[consent_cookie.cookie_name()]
        assert int(cookie["max-age"]) <= 6 * 86400  # the browser drops it when the visitor's choice ends
    with time_machine.travel(start + timedelta(days=370), tick=False):
        body = client.get("/").content.decode()
    assert '"chosen": false' in body  # twelve months after the only choice they made, they are asked again
