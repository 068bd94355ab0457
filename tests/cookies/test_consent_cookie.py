"""The signed first-party cookie that holds a visitor's choice."""

import base64
import json
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from apps.cookies import consent_cookie
from apps.cookies.models import CookieConsent, CookieDeclaration
from apps.cookies.services import cookie_catalogue_changed

pytestmark = pytest.mark.django_db

BANNER = 'id="cookie-banner"'


def _choose(client, action="accept_all", **extra):
    response = client.post(reverse("cookies:save"), {"action": action, **extra})
    assert response.status_code == 303
    return response.cookies["pp_consent"].value


def test_it_holds_the_categories_the_declaration_version_the_date_and_the_gpc_flag(client, catalogue):
    value = _choose(client, "save", category=["analytics"])
    payload = signing.loads(value, salt=consent_cookie.SALT)
    consent = CookieConsent.objects.get()
    assert payload == {
        "v": consent.visitor_id.hex, "c": ["analytics", "necessary"], "d": consent.declaration_version,
        "t": int(consent.created_at.timestamp()), "g": 0,
    }


def test_a_tampered_cookie_counts_as_no_choice(client, catalogue):
    value = _choose(client, "accept_all")
    payload_b64, rest = value.split(":", 1)
    payload = json.loads(base64.urlsafe_b64decode(payload_b64 + "=" * (-len(payload_b64) % 4)))
    payload["c"] = ["necessary", "analytics", "marketing", "preferences"]
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")
    client.cookies["pp_consent"] = f"{forged}:{rest}"
    body = client.get("/").content.decode()
    assert BANNER in body
    assert '"allowed": ["necessary"]' in body


@pytest.mark.parametrize("value", [
    "garbage",
    "",
    signing.dumps({"v": "00" * 16, "c": ["analytics"], "d": "x", "t": 0, "g": 0}, salt="another-salt"),
    signing.dumps({"c": ["analytics"]}, salt=consent_cookie.SALT),
    signing.dumps({"v": "not-a-uuid", "c": ["analytics"], "d": "x", "t": 0, "g": 0}, salt=consent_cookie.SALT),
], ids=["garbage", "empty", "other-salt", "missing-fields", "bad-visitor-id"])
def test_an_unreadable_cookie_counts_as_no_choice(client, catalogue, value):
    client.cookies["pp_consent"] = value
    body = client.get("/").content.decode()
    assert BANNER in body and '"allowed": ["necessary"]' in body


def test_with_analytics_allowed_the_page_says_so(client, catalogue):
    _choose(client, "save", category=["analytics"])
    body = client.get("/").content.decode()
    assert BANNER not in body
    assert '"allowed": ["analytics", "necessary"]' in body


def test_the_banner_returns_after_the_configured_maximum_age(client, catalogue, settings):
    settings.COOKIE_CONSENT_MAX_AGE_DAYS = 365
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        _choose(client, "reject_all")
        traveller.shift(timedelta(days=364))
        assert BANNER not in client.get("/").content.decode()
        traveller.shift(timedelta(days=2))
        assert BANNER in client.get("/").content.decode()


def test_the_maximum_age_is_a_setting(client, catalogue, settings):
    settings.COOKIE_CONSENT_MAX_AGE_DAYS = 30
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        response = client.post(reverse("cookies:save"), {"action": "reject_all"})
        assert int(response.cookies["pp_consent"]["max-age"]) == 30 * 24 * 3600
        traveller.shift(timedelta(days=31))
        assert BANNER in client.get("/").content.decode()


def test_the_banner_returns_when_the_declaration_changes(client, catalogue):
    _choose(client, "accept_all")
    assert BANNER not in client.get("/").content.decode()
    CookieDeclaration.objects.filter(name="_pp_analytics").update(duration="90 days")
    cookie_catalogue_changed()  # as the admin does after every save (pages cache the catalogue until then)
    body = client.get("/").content.decode()
    assert BANNER in body and '"allowed": ["necessary"]' in body


def test_a_returning_visitor_keeps_their_anonymous_id_across_choices(client, catalogue):
    _choose(client, "accept_all")
    CookieDeclaration.objects.filter(name="_pp_analytics").update(duration="90 days")
    _choose(client, "reject_all")
    assert CookieConsent.objects.values("visitor_id").distinct().count() == 1
    assert CookieConsent.objects.count() == 2
