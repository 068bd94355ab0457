"""The retention sweep erases what is past its retention period, whether or not anyone marked it done."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from apps.audit.services import Actor
from apps.consent.models import Purpose, Submission
from apps.selfservice.models import LinkRequest, StepUpCode
from apps.selfservice.services import link_request_create, retention_notices_send, stepup_issue
from apps.subjects import services
from apps.subjects.models import DataSubject, ServiceEngagement
from apps.vault.models import DeletionCertificate
from tests.consent.helpers import application_post, send_form
from tests.factories import EngagementFactory

SYSTEM = Actor.system("test")
LINK_RE = re.compile(r"https?://[^\s\"<>]+/me/[^\s\"<>]+/")


def _sweep(django_capture_on_commit_callbacks, days: float) -> None:
    with time_machine.travel(timezone.now() + timedelta(days=days)):
        with django_capture_on_commit_callbacks(execute=True):
            call_command("enforce_retention")


@pytest.mark.django_db
def test_an_application_nobody_touched_for_its_retention_period_is_closed_and_erased(
        settings, django_capture_on_commit_callbacks):
    settings.RETENTION_NOTICE_DAYS = 0  # this test is about the period; notices have their own
    settings.ABANDONED_RECORD_DAYS = 90
    idle = EngagementFactory()
    _sweep(django_capture_on_commit_callbacks, days=89)
    assert not DeletionCertificate.objects.filter(subject_id=idle.subject_id).exists()

    _sweep(django_capture_on_commit_callbacks, days=91)
    idle.refresh_from_db()
    assert idle.status == ServiceEngagement.Status.EXPIRED
    assert DeletionCertificate.objects.get(subject_id=idle.subject_id).reason == "retention"
    assert DataSubject.objects.get(pk=idle.subject_id).is_erased


@pytest.mark.django_db
def test_activity_starts_the_retention_period_again(settings, django_capture_on_commit_callbacks):
    settings.RETENTION_NOTICE_DAYS = 0  # this test is about the period; notices have their own
    settings.ABANDONED_RECORD_DAYS = 90
    busy = EngagementFactory()
    with time_machine.travel(timezone.now() + timedelta(days=60)):
        services.activity_touch(subject=busy.subject)  # e.g. they corrected their address
    _sweep(django_capture_on_commit_callbacks, days=100)
    assert not DeletionCertificate.objects.filter(subject_id=busy.subject_id).exists()
    _sweep(django_capture_on_commit_callbacks, days=151)
    assert DeletionCertificate.objects.filter(subject_id=busy.subject_id).exists()


@pytest.mark.django_db
def test_the_purposes_retention_period_shown_to_visitors_is_the_one_enforced(
        client, demo_purposes, settings, django_capture_on_commit_callbacks):
    settings.RETENTION_NOTICE_DAYS = 0  # this test is about the period; notices have their own
    settings.ABANDONED_RECORD_DAYS = 365
    Purpose.objects.filter(slug="recruitment").update(retention_days=30)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_form(client, "/apply/", application_post(email="short@example.org")).status_code == 302
    engagement = ServiceEngagement.objects.get()
    assert engagement.retention_days == 30
    _sweep(django_capture_on_commit_callbacks, days=29)
    assert not DeletionCertificate.objects.exists()
    _sweep(django_capture_on_commit_callbacks, days=31)
    assert DeletionCertificate.objects.get().subject_id == engagement.subject_id


@pytest.mark.django_db(transaction=True)
def test_people_are_told_before_and_can_ask_us_to_keep_it(client, demo_purposes, settings, mailoutbox):
    settings.ABANDONED_RECORD_DAYS, settings.RETENTION_NOTICE_DAYS = 90, 14
    assert send_form(client, "/apply/", application_post(email="keepme@example.org")).status_code == 302
    subject = DataSubject.objects.get()
    mailoutbox.clear()
    with time_machine.travel(timezone.now() + timedelta(days=70)):
        assert retention_notices_send() == 0  # not yet within 14 days of the end
    with time_machine.travel(timezone.now() + timedelta(days=77)):
        assert retention_notices_send() == 1
        assert retention_notices_send() == 0  # told once
    assert [m.to for m in mailoutbox] == [["keepme@example.org"]]
    assert "will delete all your data on" in mailoutbox[0].body
    link = LINK_RE.search(mailoutbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    with time_machine.travel(timezone.now() + timedelta(days=80)):
        page = client.get("/" + path).content.decode()
        assert "Keep my data" in page
        asked = client.post("/" + path + "keep/")  # the link alone is not enough: a leaked one could keep it
        assert asked.status_code == 302 and asked["Location"] == "/" + path + "code/?next=home"
        assert ServiceEngagement.objects.get(subject=subject).retention_notice_at is not None  # nothing kept
        client.post("/" + path + "code/", {"action": "send"})
        code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
        assert client.post("/" + path + "code/?next=home", {"action": "verify", "code": code}).status_code == 302
        assert client.post("/" + path + "keep/").status_code == 302
    with time_machine.travel(timezone.now() + timedelta(days=95)):
        call_command("enforce_retention")
    assert not DeletionCertificate.objects.filter(subject_id=subject.pk).exists()
    with time_machine.travel(timezone.now() + timedelta(days=160)):  # told again, before the new end
        assert retention_notices_send() == 1
    with time_machine.travel(timezone.now() + timedelta(days=175)):
        call_command("enforce_retention")
    assert DeletionCertificate.objects.filter(subject_id=subject.pk).exists()


@pytest.mark.django_db
def test_unused_submissions_expired_codes_and_old_link_requests_go_too(demo_purposes, client,
                                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_form(client, "/apply/", application_post(email="rows@example.org"))
    subject = DataSubject.objects.get()
    stepup_issue(subject=subject)
    LinkRequest.objects.create(kind="email", digest="0" * 64)  # its job never ran
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        link_request_create(address="someone@example.org")
        services.rows_expire(now=timezone.now())
    assert not StepUpCode.objects.exists()
    assert LinkRequest.objects.count() == 1  # only the fresh one
    assert Submission.objects.count() == 1  # kept 30 days
    services.rows_expire(now=timezone.now() + timedelta(days=31))
    assert not Submission.objects.exists()
    assert DataSubject.objects.get().status == DataSubject.Status.ACTIVE  # the person's own data stays


@pytest.mark.django_db
def test_the_sweep_closes_thousands_in_batches(settings, django_capture_on_commit_callbacks):
    settings.RETENTION_NOTICE_DAYS = 0  # this test is about the period; notices have their own
    settings.ABANDONED_RECORD_DAYS = 10
    engagements = [EngagementFactory() for _ in range(30)]
    with time_machine.travel(timezone.now() + timedelta(days=11)):
        expired = services.engagements_expired(now=timezone.now())
    assert {e.pk for e in expired} == {e.pk for e in engagements}
    _sweep(django_capture_on_commit_callbacks, days=11)
    assert DeletionCertificate.objects.filter(reason="retention").count() == 30
    assert set(ServiceEngagement.objects.values_list("status", flat=True)) == {ServiceEngagement.Status.EXPIRED}


@pytest.mark.django_db
def test_nobody_is_erased_for_inactivity_before_being_told(settings, django_capture_on_commit_callbacks):
    """The notice job was down (or late) in the window: the erasure waits until the person was told."""
    settings.ABANDONED_RECORD_DAYS, settings.RETENTION_NOTICE_DAYS = 90, 14
    idle = EngagementFactory()
    _sweep(django_capture_on_commit_callbacks, days=91)
    assert not DeletionCertificate.objects.filter(subject_id=idle.subject_id).exists()
    with time_machine.travel(timezone.now() + timedelta(days=92)):
        assert retention_notices_send() == 1  # told now, with the date 14 days on
    _sweep(django_capture_on_commit_callbacks, days=105)
    assert not DeletionCertificate.objects.filter(subject_id=idle.subject_id).exists()
    _sweep(django_capture_on_commit_callbacks, days=107)
    assert DeletionCertificate.objects.filter(subject_id=idle.subject_id).exists()


@pytest.mark.django_db
def test_a_person_with_two_services_is_told_once_with_the_day_their_data_goes(
        settings, django_capture_on_commit_callbacks, mailoutbox):
    settings.ABANDONED_RECORD_DAYS, settings.RETENTION_NOTICE_DAYS = 90, 14
    short = EngagementFactory(retention_days=30)
    EngagementFactory(subject=short.subject, retention_days=180)
    with time_machine.travel(timezone.now() + timedelta(days=20)):
        assert retention_notices_send() == 0  # the enquiry ends on day 30, but their data stays
    _sweep(django_capture_on_commit_callbacks, days=31)
    short.refresh_from_db()
    assert short.status == ServiceEngagement.Status.EXPIRED  # that service closed...
    assert not DeletionCertificate.objects.exists()  # ...and nothing was deleted
    with time_machine.travel(timezone.now() + timedelta(days=166)):  # 14 days before their last service ends
        with django_capture_on_commit_callbacks(execute=True):
            assert retention_notices_send() == 1
        assert retention_notices_send() == 0
    erase_on = (short.subject.engagements.get(status="open").expires_at).date().isoformat()
    assert [m for m in mailoutbox if erase_on in m.body]
