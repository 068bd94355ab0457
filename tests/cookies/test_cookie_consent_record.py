"""The service that logs a visitor's cookie choice."""

import uuid

import pytest

from apps.cookies.models import CookieConsent
from apps.cookies.selectors import declaration_version
from apps.cookies.services import cookie_consent_record

pytestmark = pytest.mark.django_db

ALL_OFF = {"necessary": True, "preferences": False, "analytics": False, "marketing": False}


def _record(**kwargs) -> CookieConsent:
    kwargs.setdefault("visitor_id", None)
    kwargs.setdefault("gpc", False)
    kwargs.setdefault("ip_address", "203.0.113.7")
    return cookie_consent_record(**kwargs)


def test_accept_all_allows_every_category(catalogue):
    consent = _record(action="accept_all")
    assert consent.choices == dict.fromkeys(["necessary", "preferences", "analytics", "marketing"], True)
    assert consent.declaration_version == declaration_version()


def test_reject_all_allows_only_the_necessary_category(catalogue):
    assert _record(action="reject_all").choices == ALL_OFF


def test_a_custom_choice_allows_what_was_asked_and_always_the_necessary_category(catalogue):
    consent = _record(action="custom", requested=["marketing", "no-such-category"])
    assert consent.choices == {**ALL_OFF, "marketing": True}


def test_it_keeps_a_keyed_hash_of_the_ip_address_never_the_address(catalogue, settings):
    consent = _record(action="reject_all", ip_address="203.0.113.7")
    assert len(consent.ip_hash) == 64 and "203.0.113.7" not in consent.ip_hash
    assert _record(action="reject_all", ip_address="203.0.113.7").ip_hash == consent.ip_hash
    settings.SECRET_KEY = "another-key-" * 5  # keyed: without the key the hash cannot be recomputed
    assert _record(action="reject_all", ip_address="203.0.113.7").ip_hash != consent.ip_hash


def test_a_new_visitor_gets_a_random_id_and_a_returning_one_keeps_theirs(catalogue):
    first = _record(action="reject_all")
    assert first.visitor_id.version == 4
    again = _record(action="accept_all", visitor_id=first.visitor_id)
    assert again.visitor_id == first.visitor_id
    assert _record(action="reject_all").visitor_id not in {first.visitor_id}


def test_it_records_that_gpc_decided_a_default_the_visitor_kept(catalogue):
    consent = _record(action="custom", requested=["preferences"], gpc=True)
    assert consent.gpc and consent.gpc_decided
    assert consent.choices == {**ALL_OFF, "preferences": True}


def test_an_explicit_choice_under_gpc_is_the_visitors_own(catalogue):
    rejected = _record(action="reject_all", gpc=True)
    assert rejected.gpc and not rejected.gpc_decided
    accepted = _record(action="accept_all", gpc=True)
    assert accepted.gpc and not accepted.gpc_decided
    assert accepted.choices["analytics"] and accepted.choices["marketing"]
    opted_in = _record(action="custom", requested=["analytics", "marketing"], gpc=True)
    assert not opted_in.gpc_decided


def test_gpc_applied_to_an_earlier_choice_turns_off_what_it_covers_and_nothing_else(catalogue):
    consent = _record(action="gpc", requested=["preferences", "analytics", "marketing"], gpc=True,
                      visitor_id=uuid.uuid4())
    assert consent.choices == {**ALL_OFF, "preferences": True}
    assert consent.gpc_decided


def test_a_gpc_entry_needs_the_signal(catalogue):
    with pytest.raises(ValueError, match="GPC signal"):
        _record(action="gpc", requested=["analytics"], gpc=False)
    assert not CookieConsent.objects.exists()


def test_an_unknown_action_is_refused(catalogue):
    with pytest.raises(ValueError):
        _record(action="accept_some")
