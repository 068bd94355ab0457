"""Nothing about a person exists until the owner of the form's email address proves it (apps.recruitment.intake):
the form is one sealed row and one email with a code; the code (or the emailed link) applies it."""

import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.consent.models import ConsentRecord, Submission
from apps.consent.services import CollectionContext
from apps.notifications.models import Notification
from apps.recruitment.intake import RequiredConsentMissing, intake_hold, intakes_expire
from apps.recruitment.models import PendingSubmission
from apps.subjects.models import DataSubject, ServiceEngagement, Vacancy
from apps.subjects.services import orphans_remove, rows_expire
from apps.vault.models import DataKey
from tests.consent.helpers import application_post, confirm_intake, intake_code, send_form

pytestmark = pytest.mark.django_db


def _statements(client, **overrides) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/apply/", application_post(**overrides))
    assert response.status_code == 302 and response["Location"] == "/sent/code/"
    # The statements, without their values (ids, digests, ciphertexts and times differ by nature).
    return [re.sub(r"'[^']*'|X'[0-9a-fA-F]*'|\b\d+\b|\"s\d+_x\d+\"", "?", q["sql"])
            for q in queries.captured_queries]


def test_a_sent_form_is_one_sealed_row_and_one_email_and_nothing_about_a_person(client, demo_purposes):
    client.post("/apply/", application_post())
    assert not DataSubject.objects.exists() and not ConsentRecord.objects.exists()
    assert not ServiceEngagement.objects.exists() and not Submission.objects.exists()
    pending = PendingSubmission.objects.get()
    email = Notification.objects.get()
    assert (email.channel, email.template, email.intake_id, email.subject_id) == ("email", "intake_code", pending.pk,
                                                                                   None)
    assert email.recipient == "amani.wekesa@example.org"
    assert DataKey.objects.filter(subject_id=pending.pk).exists()  # its own key
    raw = PendingSubmission.objects.filter(pk=pending.pk).values_list("data", flat=True).get()
    assert b"Amani" not in bytes(raw) and b"27654321" not in bytes(raw)  # sealed
    events = list(AuditEvent.objects.values_list("verb", flat=True))
    assert "intake.held" in events and "subject.created" not in events
    page = client.get("/sent/code/").content.decode()
    assert "type the code we emailed you" in page and "by SMS" not in page


def test_a_held_form_sent_again_leads_to_its_code_page_without_a_second_row_or_code(client, demo_purposes):
    form = application_post()
    first = client.post("/apply/", form)
    again = client.post("/apply/", form)  # the back button and "send" again: the same form key

    assert first.status_code == again.status_code == 302 and again["Location"] == "/sent/code/"
    assert PendingSubmission.objects.count() == 1 and Notification.objects.count() == 1  # one code, one email
    assert "type the code we emailed you" in client.get("/sent/code/").content.decode()


def test_a_known_and_an_unknown_address_take_the_same_statements(client, demo_purposes):
    send_form(client, "/apply/", application_post())  # Amani is now with us
    client.cookies.clear()
    _statements(client, email="warmup@example.org")  # the page's cached parts are filled by the first request
    known = _statements(client)
    unknown = _statements(client, email="nobody@example.org")
    assert known == unknown
    people = ("subjects_subjectlookup", "subjects_datasubject", "subjects_personalrecord")
    assert not any(table in sql for sql in known for table in people)  # the address is not looked up
    # Statements per POST /apply/: the vacancy choices, the form's key (submitted? held?), the vacancy, the key,
    # the form, its email, the audit event (its chain head), the session.
    assert len([sql for sql in known if not sql.startswith(("SAVEPOINT", "RELEASE"))]) <= 12


def test_typing_the_code_applies_the_form_with_receipts_timestamped_now(client, demo_purposes):
    client.post("/apply/", application_post())
    sent_at = PendingSubmission.objects.get().created_at
    response = confirm_intake(client)
    assert response.status_code == 302 and response["Location"] == "/sent/"
    person = DataSubject.objects.get()
    receipts = ConsentRecord.objects.filter(subject=person)
    assert receipts.count() == 2 and all(r.created_at >= sent_at and r.consented_at is None for r in receipts)
    assert all(r.notice_id is not None for r in receipts)  # the words shown when the form was sent
    assert not PendingSubmission.objects.exists() and not Notification.objects.filter(intake_id__isnull=False).exists()
    assert "Thank you" in client.get("/sent/").content.decode()


def test_the_form_is_confirmed_by_the_owner_of_a_known_address_onto_their_one_record(client, demo_purposes):
    send_form(client, "/apply/", application_post())
    person = DataSubject.objects.get()
    second = Vacancy.objects.filter(status="open").exclude(applications__subject=person).first()
    send_form(client, "/apply/", application_post(vacancy=str(second.pk)))
    assert DataSubject.objects.get() == person
    assert ServiceEngagement.objects.filter(subject=person).count() == 2


def test_wrong_codes_lock_the_code_after_five_and_the_form_waits_for_its_link(client, demo_purposes, settings):
    client.post("/apply/", application_post())
    for _ in range(settings.INTAKE_CODE_ATTEMPTS):
        response = client.post("/sent/code/", {"code": "999999" if intake_code() != "999999" else "888888"})
        assert response.status_code == 400 and "That code is not right" in response.content.decode()
    response = client.post("/sent/code/", {"code": intake_code()})
    assert response.status_code == 403 and "Too many wrong codes" in response.content.decode()
    assert not DataSubject.objects.exists() and PendingSubmission.objects.count() == 1


def test_a_code_that_is_not_six_digits_is_refused_with_a_clear_message_and_counts_nothing(client, demo_purposes):
    client.post("/apply/", application_post())
    response = client.post("/sent/code/", {"code": "12ab"})
    assert response.status_code == 400 and "Type the 6 digits" in response.content.decode()
    assert PendingSubmission.objects.get().code_attempts == 0


def test_the_code_never_goes_to_the_number_typed_it_would_prove_the_number_not_the_address(client, demo_purposes):
    """A stranger who types someone's email and their own mobile number must not be able to confirm the form:
    a code sent to that number would be the stranger's. Asking for it changes nothing and sends nothing."""
    client.post("/apply/", application_post(email="victim@example.org", mobile="0799 000 222"))
    response = client.post("/sent/code/", {"action": "sms"})
    assert response.status_code == 400 and "Type the 6 digits" in response.content.decode()
    assert not Notification.objects.filter(channel="sms").exists()
    assert not DataSubject.objects.exists()


def test_a_code_in_other_digits_is_refused_with_a_clear_message(client, demo_purposes):
    client.post("/apply/", application_post())
    response = client.post("/sent/code/", {"code": "\u0661\u0662\u0663\u0664\u0665\u0666"})  # Arabic-Indic
    assert response.status_code == 400 and "Type the 6 digits" in response.content.decode()
    assert PendingSubmission.objects.get().code_attempts == 0


def test_many_forms_with_one_address_each_get_their_email_none_is_dropped(client, demo_purposes):
    for _ in range(5):
        client.post("/apply/", application_post())
    assert PendingSubmission.objects.count() == 5
    assert Notification.objects.filter(template="intake_code").count() == 5
    assert confirm_intake(client).status_code == 302  # the person's own (the newest) goes through


def test_one_reminder_then_the_form_and_its_key_are_destroyed(client, demo_purposes, settings):
    client.post("/apply/", application_post())
    pending = PendingSubmission.objects.get()
    later = timezone.now() + timedelta(hours=settings.INTAKE_REMINDER_HOURS, minutes=1)
    assert intakes_expire(now=later) == (0, 1)
    assert intakes_expire(now=later + timedelta(hours=1)) == (0, 0)  # once
    assert Notification.objects.filter(template="intake_reminder").count() == 1
    assert intakes_expire(now=pending.expires_at) == (1, 0)
    assert not PendingSubmission.objects.exists() and not Notification.objects.exists()
    assert not DataKey.objects.filter(subject_id=pending.pk).exists()
    assert AuditEvent.objects.filter(verb="intake.expired", target=str(pending.pk)).exists()
    response = client.post("/sent/code/", {"code": "123456"})  # the visitor's page after it expired
    assert response.status_code == 410 and "This form has been used" in response.content.decode()


def test_the_service_refuses_a_form_without_its_required_consents_for_every_caller(demo_purposes):
    with pytest.raises(RequiredConsentMissing):
        intake_hold(key=uuid.uuid4(), kind="apply", data={"full_name": "A B", "email": "a@example.org"},
                    purposes=[], context=CollectionContext(collection_point="apply-form", form_version="t",
                                                           source="web-form"))
    assert not PendingSubmission.objects.exists() and not Notification.objects.exists()


def test_the_hourly_orphan_sweep_leaves_a_waiting_forms_key_and_its_code_still_works(client, demo_purposes):
    client.post("/apply/", application_post())
    pending = PendingSubmission.objects.get()
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        orphans_remove()
    assert DataKey.objects.filter(subject_id=pending.pk).exists()
    assert confirm_intake(client).status_code == 302 and DataSubject.objects.count() == 1


def test_a_form_whose_key_is_gone_is_answered_gone_and_destroyed_not_an_error(client, demo_purposes):
    client.post("/apply/", application_post())
    pending = PendingSubmission.objects.get()
    DataKey.objects.filter(subject_id=pending.pk).delete()  # as a restored backup without the key store would
    response = client.post("/sent/code/", {"code": "123456"})
    assert response.status_code == 410 and "This form has been used" in response.content.decode()
    assert not PendingSubmission.objects.exists() and not Notification.objects.exists()


def test_the_retention_backstop_leaves_nothing_behind_once_the_sweeps_ran(client, demo_purposes, settings):
    client.post("/apply/", application_post())
    pending = PendingSubmission.objects.get()
    later = timezone.now() + timedelta(days=settings.INTAKE_BACKSTOP_DAYS, hours=1)
    rows_expire(now=later)  # the retention sweep's plain delete, had intakes_expire not run
    assert not PendingSubmission.objects.exists()
    intakes_expire(now=later)
    with time_machine.travel(later):
        orphans_remove()
    assert not Notification.objects.exists() and not DataKey.objects.filter(subject_id=pending.pk).exists()
