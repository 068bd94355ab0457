"""The privacy officer's registers: statutory clocks, outcomes through the same services, breaches' clocks."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.staff.models import Breach, RightsRequest
from apps.staff.services import (
    RightsRequestNotReady,
    breach_record,
    breach_update,
    rights_request_complete,
    rights_request_record,
)
from apps.subjects.models import DataSubject
from tests.factories import EngagementFactory, SubjectFactory

pytestmark = pytest.mark.django_db
OFFICER = Actor.system("test")
RECEIVED = timezone.datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(180))


@pytest.fixture
def officer(django_user_model, staff_client):
    user = django_user_model.objects.create_user("officer", password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name="privacy officer"))
    return staff_client(user)


@pytest.mark.parametrize("kind,days", [("access", 7), ("correction", 14), ("erasure", 14), ("objection", 14),
                                       ("restriction", 14), ("portability", 30)])
def test_each_request_type_is_due_on_its_statutory_clock(kind, days):
    request = rights_request_record(actor=OFFICER, kind=kind, channel="letter", received_at=RECEIVED)
    assert request.due_at == RECEIVED + timedelta(days=days)
    assert AuditEvent.objects.get(verb="rights_request.received").detail["type"] == kind


def test_a_request_turns_overdue_on_the_dashboard(officer):
    request = rights_request_record(actor=OFFICER, kind="access", channel="email", received_at=timezone.now())
    assert "OVERDUE" not in officer.get("/admin/dashboard/").content.decode()
    with time_machine.travel(request.due_at + timedelta(hours=1)):
        assert request.is_overdue
        page = officer.get("/admin/dashboard/").content.decode()
        assert "OVERDUE" in page and str(request.pk) in page


def test_completing_an_erasure_request_erases_the_person_through_the_same_service(
        django_capture_on_commit_callbacks):
    subject = EngagementFactory().subject
    request = rights_request_record(actor=OFFICER, kind="erasure", channel="phone", received_at=timezone.now(),
                                    subject=subject, identity_check="call-back")
    with django_capture_on_commit_callbacks(execute=True):
        rights_request_complete(request=request, actor=OFFICER, outcome="done")
    subject.refresh_from_db()
    assert subject.status == DataSubject.Status.ERASED
    request.refresh_from_db()
    assert request.state == RightsRequest.State.COMPLETED and request.completed_at
    assert AuditEvent.objects.get(verb="rights_request.completed").detail["outcome"] == "done"


def test_a_request_cannot_be_done_before_the_person_is_identified_and_checked():
    request = rights_request_record(actor=OFFICER, kind="erasure", channel="phone", received_at=timezone.now(),
                                    subject=SubjectFactory())
    with pytest.raises(RightsRequestNotReady):
        rights_request_complete(request=request, actor=OFFICER, outcome="done")
    request.refresh_from_db()
    assert request.state == RightsRequest.State.OPEN


def test_the_officer_records_a_request_in_the_admin_and_it_is_audited(officer):
    response = officer.post("/admin/staff/rightsrequest/add/", {
        "kind": "access", "channel": "email", "received_at_0": "2026-03-02", "received_at_1": "09:00:00",
        "subject": "", "identity_check": ""})
    assert response.status_code == 302, response.content.decode()[:3000]
    request = RightsRequest.objects.get()
    assert request.due_at - request.received_at == timedelta(days=7)
    assert AuditEvent.objects.filter(verb="rights_request.received").count() == 1


def test_a_breach_turns_overdue_72_hours_after_discovery_until_the_commissioner_is_told(officer):
    breach = breach_record(actor=OFFICER, summary="A laptop with exports was stolen", discovered_at=timezone.now(),
                           categories=["contact"], people_affected=40, risk="high")
    assert not breach.commissioner_overdue
    with time_machine.travel(timezone.now() + timedelta(hours=49)):
        assert breach.controllers_overdue and not breach.commissioner_overdue
    with time_machine.travel(timezone.now() + timedelta(hours=73)):
        assert breach.commissioner_overdue
        assert "OVERDUE" in officer.get("/admin/dashboard/").content.decode()
        breach_update(breach=breach, actor=OFFICER, changes={"commissioner_notified_at": timezone.now()})
        assert not breach.commissioner_overdue
    assert AuditEvent.objects.get(verb="breach.updated").detail["fields"] == ["commissioner_notified_at"]
    assert Breach.objects.get().people_affected == 40


def test_the_dashboard_draws_its_charts_without_script(officer):
    EngagementFactory()
    page = officer.get("/admin/dashboard/").content.decode()
    assert page.count("<svg") >= 2 and "<script>" not in page


def test_the_officer_republishes_waiting_erasures_from_the_dashboard(officer, django_capture_on_commit_callbacks):
    from apps.subjects.models import ErasureJob

    subject = SubjectFactory()
    job = ErasureJob.objects.create(subject=subject, reason="subject-request")
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        page = officer.get("/admin/dashboard/").content.decode()
        assert "Publish the waiting erasures again now" in page
        with django_capture_on_commit_callbacks(execute=True):
            response = officer.post("/admin/dashboard/redrive-erasures/", follow=True)
    assert "published again" in response.content.decode()
    job.refresh_from_db()
    assert job.state == ErasureJob.State.DONE  # jobs run in-process in this test


def test_the_officer_verifies_the_audit_log_from_the_dashboard(officer):
    SubjectFactory()
    assert "Not verified from here yet." in officer.get("/admin/dashboard/").content.decode()
    page = officer.post("/admin/dashboard/verify-audit-log/", follow=True).content.decode()
    assert "The audit log verifies" in page and "Last verified" in page and "no break" in page
    assert AuditEvent.objects.get(verb="audit.verified").detail["ok"] is True
