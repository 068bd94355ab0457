"""Every SMS we send counts against its number: at most 3 an hour and 10 a day (the product's defaults)."""

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.notifications.models import Notification
from apps.notifications.services import Message, notifications_queue
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db

NUMBER = "+254712345678"


@pytest.fixture(autouse=True)
def _product_limits(settings):
    settings.SMS_PER_NUMBER_LIMITS = ((3, 3600), (10, 86400))
    # The counting is the cache's (Redis in production): a process-local one here, so the clock can be moved.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


def _sms(person, number: str = NUMBER) -> Notification | None:
    """A new link asked for by number: anyone can ask for one to a number on file."""
    return notifications_queue(messages=[Message(person, "sms", "new_link", number, {"link": "https://x.test/"})])[0]


def test_a_number_gets_three_sms_an_hour_and_the_fourth_is_not_sent_but_audited_without_the_number():
    person = SubjectFactory()
    assert all(_sms(person) is not None for _ in range(3))
    assert _sms(person) is None
    assert Notification.objects.filter(channel="sms").count() == 3
    skipped = AuditEvent.objects.get(verb="notification.skipped")
    assert skipped.detail["why"] == "sms-limit" and NUMBER not in str(skipped.detail)
    assert not any("712345678" in key for key in getattr(cache, "_cache", {}))  # only a keyed hash is counted
    assert _sms(person, "+254799999999") is not None  # another number has its own allowance


def test_emails_in_the_same_batch_are_still_queued_when_the_sms_is_over_its_limit():
    person = SubjectFactory()
    for _ in range(3):
        _sms(person)
    queued = notifications_queue(messages=[Message(person, "sms", "new_link", NUMBER, {"link": "https://x.test/"}),
                                           Message(person, "email", "new_link", "a@example.org",
                                                   {"link": "https://x.test/"})])
    assert queued[0] is None and queued[1] is not None


def test_a_persons_own_code_is_never_refused_however_many_sms_strangers_caused():
    person = SubjectFactory()
    for _ in range(3):
        _sms(person)  # confirmations of forms that named this number
    assert _sms(person) is None
    code = notifications_queue(messages=[Message(person, "sms", "stepup_code", NUMBER, {"code": "123456"})])[0]
    assert code is not None


def test_at_most_ten_a_day_however_they_are_spread_over_the_hours():
    person = SubjectFactory()
    sent = 0
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _hour in range(5):
            sent += sum(_sms(person) is not None for _ in range(3))
            clock.shift(3601)
    assert sent == 10
