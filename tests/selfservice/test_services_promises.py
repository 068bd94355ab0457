"""Step-up codes and the personal export, at the service level."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from apps.selfservice.services import StepUpResult, data_export, stepup_issue, stepup_verify
from apps.subjects.models import PersonalRecord
from apps.vault.crypto import DecryptionError
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db
CODE = "246810"


@pytest.fixture
def subject(monkeypatch):
    # The code is only ever sent, never stored: fix the random draw so the test knows it.
    monkeypatch.setattr("apps.selfservice.services.secrets.randbelow", lambda _: int(CODE))
    subject = SubjectFactory()
    stepup_issue(subject=subject)
    return subject


def test_after_the_allowed_wrong_tries_even_the_right_code_fails(subject):
    wrong = "135791"
    results = [stepup_verify(subject=subject, code=wrong) for _ in range(settings.STEPUP_MAX_TRIES)]
    assert results == [StepUpResult.WRONG] * (settings.STEPUP_MAX_TRIES - 1) + [StepUpResult.EXPIRED]
    assert stepup_verify(subject=subject, code=CODE) == StepUpResult.EXPIRED


def test_one_wrong_try_fewer_leaves_the_right_code_working(subject):
    for _ in range(settings.STEPUP_MAX_TRIES - 1):
        stepup_verify(subject=subject, code="135791")
    assert stepup_verify(subject=subject, code=CODE) == StepUpResult.OK


def test_the_right_code_fails_once_it_has_expired(subject):
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.STEPUP_CODE_MINUTES, seconds=1)):
        assert stepup_verify(subject=subject, code=CODE) == StepUpResult.EXPIRED


def test_the_right_code_works_just_before_it_expires(subject):
    with time_machine.travel(timezone.now() + timedelta(minutes=settings.STEPUP_CODE_MINUTES, seconds=-5)):
        assert stepup_verify(subject=subject, code=CODE) == StepUpResult.OK


def test_the_export_refuses_a_value_moved_to_another_column_of_the_persons_record():
    # Same row, same key: only the column name in the associated data keeps the name out of the email.
    subject = SubjectFactory(full_name="Achieng Otieno", email="achieng@example.org")
    assert data_export(subject=subject)["data"]["record"]["rows"][0]["email"] == "achieng@example.org"
    name = PersonalRecord.objects.filter(subject=subject).values_list("full_name", flat=True).get()
    PersonalRecord.objects.filter(subject=subject).update(email=name)
    with pytest.raises(DecryptionError):
        data_export(subject=subject)
