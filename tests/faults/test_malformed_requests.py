"""Malformed requests among valid ones: a field that must appear once and appears several times
is a 400 that changes nothing (a consent box sent as `on`, `off` and `\\x00` is not consent);
every valid form is stored once and emailed once."""

from collections import Counter

import pytest

from apps.consent.models import ConsentRecord, Submission
from apps.recruitment.models import PendingSubmission
from apps.subjects.models import DataSubject
from tests.conftest import wait_for

from .harness import Visitor, accepted

pytestmark = pytest.mark.real_services

REPEATS = [
    [("consent_recruitment", "on"), ("consent_recruitment", "off"), ("consent_recruitment", "\x00")],
    [("consent_marketing", "on"), ("consent_marketing", "")],
    [("email", "other@example.org")],
    [("full_name", "Somebody Else")],
]


def test_a_repeated_field_is_a_400_that_stores_nothing_and_valid_forms_still_go_through(fault_stack, mailbox):
    visitor = Visitor(fault_stack.site.url)
    malformed = []
    for i in range(12):
        extra = REPEATS[i % len(REPEATS)]  # on top of the one value every form sends
        malformed.append(visitor.apply(f"malformed-{i}@example.org", hidden=visitor.form("/apply/"), extra=extra))

    assert [r.status_code for r in malformed] == [400] * len(malformed)
    assert "Some of its fields were sent more than once. Nothing was saved." in malformed[0].text
    assert DataSubject.objects.count() == ConsentRecord.objects.count() == Submission.objects.count() == 0
    assert not PendingSubmission.objects.exists()

    valid = [visitor.apply(f"valid-{i}@example.org") for i in range(6)]
    assert all(accepted(r) for r in valid)
    assert PendingSubmission.objects.count() == 6  # each kept for its emailed code
    expected = {f"valid-{i}@example.org": 1 for i in range(6)}
    wait_for(lambda: len(mailbox) >= 6, timeout=60)
    assert Counter(m["X-Envelope-To"] for m in mailbox) == expected
