"""An admin action that erases shows what it will erase first (people, by vacancy and client company), and a
recruiter may erase at most STAFF_BULK_ERASURE_LIMIT people in one action unless a privacy officer approves."""

import re

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.staff.roles import PRIVACY_OFFICER, RECRUITER
from apps.subjects import services
from apps.subjects.models import ErasureJob, ServiceEngagement
from apps.subjects.services.bulk import ApprovalRefused, engagements_complete_checked
from tests.factories import ControllerFactory, EngagementFactory, SubjectFactory, VacancyFactory
from tests.staff.helpers import current_code

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/subjects/serviceengagement/"


@pytest.fixture
def member(django_user_model, staff_client):
    def make(role: str, username: str | None = None):
        user = django_user_model.objects.create_user(username or role.replace(" ", "-"), password="x" * 16,
                                                     is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return user, staff_client(user)
    return make


def _applicants(n: int, vacancy=None) -> list[ServiceEngagement]:
    vacancy = vacancy or VacancyFactory()
    return [services.engagement_open(subject=SubjectFactory(), actor=Actor.system("test"), service="recruitment",
                                     vacancy=vacancy, controller=vacancy.controller) for _ in range(n)]


def _ask(client, engagements) -> tuple[str, dict]:
    data = {"action": "complete_selected", "_selected_action": [str(e.pk) for e in engagements]}
    page = client.post(CHANGELIST, data).content.decode()
    return page, {**data, "confirmed": "yes", "expected": re.search(r'name="expected" value="([^"]+)"', page)[1]}


def _open_count() -> int:
    return ServiceEngagement.objects.filter(status=ServiceEngagement.Status.OPEN).count()


def test_selecting_everyone_shows_the_counts_by_vacancy_and_company_and_erases_nothing(member):
    _user, recruiter = member(RECRUITER)
    driver = VacancyFactory(title_en="Driver", controller=ControllerFactory(name="Kilimo Foods"))
    shown = _applicants(2, driver)
    _applicants(1, VacancyFactory(title_en="Cook", controller=ControllerFactory(name="Pwani Hotels")))
    keeps = _applicants(1, driver)[0].subject
    EngagementFactory(subject=keeps, service="enquiry")  # their enquiry stays open: they keep their data
    page = recruiter.post(f"{CHANGELIST}?service__exact=recruitment", {
        "action": "complete_selected", "select_across": "1", "index": "0", "_selected_action": [str(shown[0].pk)]})
    text = page.content.decode()
    assert page.status_code == 200
    assert re.search(r"<td>Driver</td><td>Kilimo Foods</td><td>3</td><td>2</td>", text)
    assert re.search(r"<td>Cook</td><td>Pwani Hotels</td><td>1</td><td>1</td>", text)
    assert "3 people will be erased" in text and "1 person keeps their data." in text
    assert _open_count() == 5 and not ErasureJob.objects.exists()


def test_a_recruiter_completes_within_the_limit_once_confirmed(member, settings, django_capture_on_commit_callbacks):
    settings.STAFF_BULK_ERASURE_LIMIT = 3
    _user, recruiter = member(RECRUITER)
    engagements = _applicants(3)
    page, confirm = _ask(recruiter, engagements)
    assert "A privacy officer must approve" not in page
    with django_capture_on_commit_callbacks(execute=True):
        done = recruiter.post(CHANGELIST, confirm, follow=True).content.decode()
    assert "Completed; 3 erasure(s) queued." in done
    assert _open_count() == 0


def test_above_the_limit_a_recruiter_needs_a_privacy_officers_code(member, settings):
    settings.STAFF_BULK_ERASURE_LIMIT = 2
    recruiter_user, recruiter = member(RECRUITER)
    officer, _client = member(PRIVACY_OFFICER, "wanjiru")
    device = TOTPDevice.objects.get(user=officer)
    engagements = _applicants(3)
    page, confirm = _ask(recruiter, engagements)
    assert "A privacy officer must approve" in page and "You may erase at most 2 people in one action" in page

    missing = recruiter.post(CHANGELIST, confirm).content.decode()
    assert "This field is required." in missing
    for who, code in [("wanjiru", "000000" if current_code(device) != "000000" else "111111"),
                      (recruiter_user.username, current_code(TOTPDevice.objects.get(user=recruiter_user))),
                      ("nobody", current_code(device))]:
        refused = recruiter.post(CHANGELIST, {**confirm, "approver": who, "approver_code": code}).content.decode()
        assert "Not approved" in refused
    assert _open_count() == 3 and not ErasureJob.objects.exists()
    assert AuditEvent.objects.filter(verb="bulk_erasure.approval_refused").count() == 3

    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None  # the wrong code above
    device.save()
    done = recruiter.post(CHANGELIST, {**confirm, "approver": "wanjiru", "approver_code": current_code(device)},
                          follow=True).content.decode()
    assert "Completed; 3 erasure(s) queued." in done
    approved = AuditEvent.objects.get(verb="bulk_erasure.approved")
    assert (approved.actor_type, approved.actor_id, approved.target) == ("staff", str(officer.pk),
                                                                         str(recruiter_user.pk))
    assert approved.detail == {"action": "complete_services", "people": 3, "services": 3, "limit": 2}


def test_a_privacy_officer_needs_no_approval(member, settings):
    settings.STAFF_BULK_ERASURE_LIMIT = 1
    _user, officer = member(PRIVACY_OFFICER)
    page, confirm = _ask(officer, _applicants(2))
    assert "A privacy officer must approve" not in page
    assert "Completed; 2 erasure(s) queued." in officer.post(CHANGELIST, confirm, follow=True).content.decode()


def test_a_selection_that_changed_since_the_page_is_shown_again_and_nothing_is_done(member):
    _user, recruiter = member(RECRUITER)
    engagements = _applicants(2)
    _page, confirm = _ask(recruiter, engagements)
    EngagementFactory(subject=engagements[0].subject, service="enquiry")  # now one of them keeps their data
    again = recruiter.post(CHANGELIST, confirm, follow=True).content.decode()
    assert "The selection changed since you saw it" in again and "1 person will be erased" in again
    assert _open_count() == 3


def test_the_service_itself_refuses_above_the_limit_without_approval(member, settings):
    settings.STAFF_BULK_ERASURE_LIMIT = 1
    user, _client = member(RECRUITER)
    engagements = _applicants(2)
    with pytest.raises(ApprovalRefused):
        engagements_complete_checked(engagement_ids=[e.pk for e in engagements], staff_user=user)
    assert _open_count() == 2
