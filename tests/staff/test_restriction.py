"""Restriction of processing (Data Protection Act 2019, s.34): the privacy officer sets and lifts it with a
reason, audited; while it stands the data is only stored: no disclosures, campaigns, answers, service changes
or messages other than about the person's rights."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.consent.models import ConsentRecord, Purpose
from apps.consent.services import CollectionContext, consent_give
from apps.notifications.models import Notification
from apps.notifications.services import notification_queue
from apps.policies.models import CampaignRecipient, PolicyVersion
from apps.policies.services import DisclosureRefused, disclosure_record
from apps.staff.services import enquiry_answer, subject_restrict, subject_restriction_lift
from apps.subjects import services
from apps.subjects.links import link_token
from apps.subjects.models import DataSubject, ServiceEngagement, SubjectRestricted
from tests.factories import ControllerFactory, EngagementFactory, SubjectFactory
from tests.policies.helpers import BACKGROUND, HIRING, publish

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
CONTEXT = CollectionContext(collection_point="apply-form", form_version="t", source=ConsentRecord.Source.WEB_FORM)


def _member(role: str, django_user_model, staff_client):
    user = django_user_model.objects.create_user(role.replace(" ", "-"), password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user, staff_client(user)


@pytest.fixture
def officer(django_user_model, staff_client):
    return _member("privacy officer", django_user_model, staff_client)


@pytest.fixture
def applicant():
    return EngagementFactory(subject=SubjectFactory(email="neema@example.org"), reference="REQ-77").subject


def _restrict(client, subject, ground="accuracy-contested"):
    return client.post(f"/admin/people/{subject.pk}/restrict/", {"ground": ground}, follow=True)


def test_the_officer_restricts_with_a_ground_the_person_is_told_once_and_it_is_audited(
        officer, applicant, mailoutbox, django_capture_on_commit_callbacks):
    user, client = officer
    with django_capture_on_commit_callbacks(execute=True):
        page = _restrict(client, applicant).content.decode()
        again = _restrict(client, applicant, ground="objection-pending").content.decode()
    assert "Processing is restricted" in page and "already restricted" in again
    applicant.refresh_from_db()
    assert applicant.is_restricted and applicant.restriction_ground == "accuracy-contested"
    event = AuditEvent.objects.get(verb="subject.restricted")
    assert event.actor_id == str(user.pk) and event.target == str(applicant.pk)
    assert event.detail == {"ground": "accuracy-contested"}
    assert [m.to for m in mailoutbox] == [["neema@example.org"]]
    assert "restricted" in mailoutbox[0].subject and "contests the accuracy" in mailoutbox[0].body
    shown = client.get(f"/admin/subjects/datasubject/{applicant.pk}/change/").content.decode()
    assert "Restricted since" in shown and "Lift the restriction" in shown


def test_lifting_needs_a_reason_is_audited_and_the_person_is_told(officer, applicant, mailoutbox,
                                                                   django_capture_on_commit_callbacks):
    user, client = officer
    subject_restrict(subject=applicant, staff_user=user, ground="legal-claim")
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(f"/admin/people/{applicant.pk}/lift-restriction/", {"reason": ""}, follow=True)
        assert "Choose why the restriction is lifted" in refused.content.decode()
        client.post(f"/admin/people/{applicant.pk}/lift-restriction/", {"reason": "claim-ended"}, follow=True)
    applicant.refresh_from_db()
    assert not applicant.is_restricted
    event = AuditEvent.objects.get(verb="subject.restriction_lifted")
    assert event.detail["reason"] == "claim-ended" and event.detail["ground"] == "legal-claim"
    assert [m.subject for m in mailoutbox][-1].endswith("lifted the restriction on your data")
    assert "The legal claim has ended" in mailoutbox[-1].body


def test_only_the_privacy_officer_restricts(applicant, django_user_model, staff_client, client):
    for role in ("support", "recruiter"):
        _user, member = _member(role, django_user_model, staff_client)
        assert _restrict(member, applicant).status_code == 403
        assert "Restrict processing" not in member.get(
            f"/admin/subjects/datasubject/{applicant.pk}/change/").content.decode()
    assert client.post(f"/admin/people/{applicant.pk}/restrict/", {"ground": "legal-claim"}).status_code == 302
    applicant.refresh_from_db()
    assert not applicant.is_restricted and not AuditEvent.objects.filter(verb="subject.restricted").exists()


def test_nothing_is_disclosed_while_restricted(officer, demo_purposes, applicant):
    user, _client = officer
    for slug in ["recruitment", "share-with-employer"]:
        consent_give(subject=applicant, purpose=Purpose.objects.get(slug=slug), context=CONTEXT)
    allowed = PolicyVersion.objects.order_by("-number").first().disclosures.get(key="hiring-company")
    subject_restrict(subject=applicant, staff_user=user, ground="objection-pending")
    with pytest.raises(DisclosureRefused, match="restricted"):
        disclosure_record(subject=applicant, actor=SYSTEM, recipient="", data_categories=["identity"],
                          legal_basis="consent", allowed=allowed)
    with pytest.raises(DisclosureRefused, match="restricted"):
        disclosure_record(subject=applicant, actor=SYSTEM, recipient="Police", data_categories=["identity"],
                          legal_basis="legal-obligation", reference="CR 1/2026")
    assert AuditEvent.objects.filter(verb="disclosure.refused", target=str(applicant.pk)).count() == 2
    subject_restriction_lift(subject=applicant, staff_user=user, reason="objection-decided")
    assert disclosure_record(subject=applicant, actor=SYSTEM, recipient="", data_categories=["identity"],
                             legal_basis="consent", allowed=allowed).policy_version == allowed.version


def test_a_policy_campaign_leaves_restricted_people_out(officer, demo_purposes, applicant,
                                                        django_capture_on_commit_callbacks):
    user, _client = officer
    other = EngagementFactory().subject
    subject_restrict(subject=applicant, staff_user=user, ground="accuracy-contested")
    with django_capture_on_commit_callbacks(execute=True):
        publish(summary="We now check certificates.", disclosures=[HIRING, BACKGROUND])
    assert set(CampaignRecipient.objects.values_list("subject_id", flat=True)) == {other.pk}
    assert not Notification.objects.filter(subject=applicant, template="policy_changed").exists()


def test_no_message_but_about_the_persons_rights_while_restricted(officer, applicant):
    user, _client = officer
    subject_restrict(subject=applicant, staff_user=user, ground="accuracy-contested")
    for template in ("enquiry_reply", "confirmation", "retention_notice"):
        with pytest.raises(SubjectRestricted):
            notification_queue(subject=applicant, channel="email", template=template, recipient="neema@example.org",
                               context={"body": "x", "link": "x", "fields": [], "purposes": []})
    assert notification_queue(subject=applicant, channel="email", template="new_link",
                              recipient="neema@example.org", context={"link": "x"})


def test_staff_can_neither_complete_nor_change_a_restricted_persons_service(officer, applicant):
    user, client = officer
    engagement = ServiceEngagement.objects.get(subject=applicant)
    subject_restrict(subject=applicant, staff_user=user, ground="opposes-erasure")
    page = client.post("/admin/subjects/serviceengagement/", {
        "action": "complete_selected", "_selected_action": [engagement.pk]}, follow=True).content.decode()
    assert "1 service(s) left open: processing of the person&#x27;s data is restricted." in page
    changed = client.post(f"/admin/subjects/serviceengagement/{engagement.pk}/change/",
                          {"reference": "REQ-78", "controller": ""}).content.decode()
    assert "Processing of this person&#x27;s data is restricted" in changed
    engagement.refresh_from_db()
    assert engagement.is_open and engagement.reference == "REQ-77"
    with pytest.raises(SubjectRestricted):
        services.engagement_complete(engagement=engagement, actor=SYSTEM)
    with pytest.raises(SubjectRestricted):
        services.engagement_open(subject=applicant, actor=SYSTEM, service="recruitment")
    assert not AuditEvent.objects.filter(verb__in=["engagement.completed", "engagement.changed"]).exists()


def test_an_enquiry_is_not_answered_while_restricted(officer, mailoutbox):
    user, client = officer
    subject = SubjectFactory()
    services.engagement_open(subject=subject, actor=SYSTEM, service="enquiry")
    enquiry = services.enquiry_add(subject=subject, actor=SYSTEM, message="Hello?")
    subject_restrict(subject=subject, staff_user=user, ground="accuracy-contested")
    page = client.post(f"/admin/enquiries/{enquiry.pk}/answer/", {"body": "Yes"}, follow=True).content.decode()
    assert "the enquiry cannot be answered" in page
    with pytest.raises(SubjectRestricted):
        enquiry_answer(enquiry=enquiry, staff_user=user, body="Yes")
    assert not Notification.objects.filter(template="enquiry_reply").exists()
    assert ServiceEngagement.objects.get(subject=subject).is_open


def test_the_retention_sweep_keeps_a_restricted_person(officer, applicant, settings):
    user, _client = officer
    subject_restrict(subject=applicant, staff_user=user, ground="legal-claim")
    with time_machine.travel(timezone.now() + timedelta(days=settings.ABANDONED_RECORD_DAYS + 60)):
        services.enforce_retention()
    applicant.refresh_from_db()
    assert not applicant.is_erased and ServiceEngagement.objects.get(subject=applicant).is_open


def test_an_erasure_queued_before_the_restriction_waits_for_it_to_be_lifted(officer, applicant,
                                                                              django_capture_on_commit_callbacks):
    """The job was written (a broker backlog, an answer in flight) before the officer restricted processing on
    a legal claim: when it runs, nothing is destroyed; lifting the restriction lets it run."""
    user, _client = officer
    job = services.erasure_request(subject_id=applicant.pk, reason="service-complete", actor=SYSTEM)
    subject_restrict(subject=applicant, staff_user=user, ground="legal-claim")
    assert services.erasure_job_run(job_id=job.pk) is None
    applicant.refresh_from_db()
    job.refresh_from_db()
    assert not applicant.is_erased and job.state == "restricted"
    assert services.erasure_jobs_redrive(older_than=timedelta(0)) == 0  # the sweep leaves it alone

    with django_capture_on_commit_callbacks(execute=True):
        subject_restriction_lift(subject=applicant, staff_user=user, reason="claim-ended")
    applicant.refresh_from_db()
    job.refresh_from_db()
    assert applicant.is_erased and job.state == "done"


def test_the_persons_own_request_to_delete_is_not_kept_waiting_by_a_restriction(officer, applicant):
    user, _client = officer
    job = services.erasure_request(subject_id=applicant.pk, reason="subject-request", actor=SYSTEM)
    subject_restrict(subject=applicant, staff_user=user, ground="opposes-erasure")
    services.erasure_job_run(job_id=job.pk)
    applicant.refresh_from_db()
    assert applicant.is_erased


def test_data_is_seen_only_for_a_rights_or_legal_request_while_restricted(officer, applicant):
    user, client = officer
    subject_restrict(subject=applicant, staff_user=user, ground="accuracy-contested")
    refused = client.post(f"/admin/subjects/datasubject/{applicant.pk}/reveal/", {"reason": "application"},
                          follow=True).content.decode()
    assert "it can be seen only for a rights request" in refused and "neema@example.org" not in refused
    shown = client.post(f"/admin/subjects/datasubject/{applicant.pk}/reveal/", {"reason": "rights-request"})
    assert "neema@example.org" in shown.content.decode()
    assert AuditEvent.objects.filter(verb="pii.revealed").count() == 1


def test_the_person_sees_the_restriction_on_their_page_and_in_their_export(officer, applicant, client):
    user, _client = officer
    subject_restrict(subject=applicant, staff_user=user, ground="objection-pending")
    page = client.get(f"/me/{link_token(applicant)}/").content.decode()
    assert "Processing of your data is restricted" in page and "objection is being verified" in page
    exported = services.subject_export(subject=applicant, actor=SYSTEM)
    assert exported["restriction"]["restricted"] is True
    assert exported["restriction"]["ground"] == "objection-pending"


def test_the_people_list_filters_restricted_people(officer, applicant):
    user, client = officer
    other = SubjectFactory()
    subject_restrict(subject=applicant, staff_user=user, ground="legal-claim")
    page = client.get("/admin/subjects/datasubject/?restricted=yes").content.decode()
    assert str(applicant.pk) in page and str(other.pk) not in page
    assert DataSubject.objects.filter(restricted_at__isnull=False).count() == 1


def test_the_people_list_filters_by_purpose_and_controller(officer, demo_purposes):
    _user, client = officer
    acme = ControllerFactory(name="Acme Ltd")
    marketed, other = EngagementFactory(controller=acme).subject, EngagementFactory().subject
    consent_give(subject=marketed, purpose=Purpose.objects.get(slug="marketing"), context=CONTEXT)
    consent_give(subject=other, purpose=Purpose.objects.get(slug="recruitment"), context=CONTEXT)
    marketing = Purpose.objects.get(slug="marketing").pk
    listing = client.get(f"/admin/subjects/datasubject/?consents__purpose__id__exact={marketing}").content.decode()
    assert str(marketed.pk) in listing and str(other.pk) not in listing
    assert "News about new jobs" in client.get("/admin/subjects/datasubject/").content.decode()  # the filter's choice
    by_controller = client.get(f"/admin/subjects/datasubject/?engagements__controller__id__exact={acme.pk}")
    assert str(marketed.pk) in by_controller.content.decode() and str(other.pk) not in by_controller.content.decode()


def test_a_restriction_request_is_done_only_once_the_person_is_restricted(officer, applicant):
    from apps.staff.services import RightsRequestNotReady, rights_request_complete, rights_request_record

    user, client = officer
    request = rights_request_record(actor=SYSTEM, kind="restriction", channel="email", received_at=timezone.now(),
                                    subject=applicant, identity_check="email-on-file")
    with pytest.raises(RightsRequestNotReady, match="restrict the processing"):
        rights_request_complete(request=request, actor=SYSTEM, outcome="done")
    page = client.post("/admin/staff/rightsrequest/", {"action": "complete_done", "_selected_action": [request.pk]},
                       follow=True).content.decode()
    assert "restrict the processing of the person" in page
    subject_restrict(subject=applicant, staff_user=user, ground="accuracy-contested")
    assert rights_request_complete(request=request, actor=SYSTEM, outcome="done").state == "completed"
    dashboard = client.get("/admin/dashboard/").content.decode()
    assert "Processing restricted: 1 person" in dashboard
