"""Staff add a person who applied or asked by email or phone, through the same intake as the forms: the
consent evidence says how and when they agreed, and they get the confirmation with their private link."""

import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.consent.models import ConsentRecord, Purpose, Submission
from apps.subjects.models import DataSubject, ServiceEngagement

pytestmark = pytest.mark.django_db


def _member(role, django_user_model, staff_client):
    user = django_user_model.objects.create_user(role.replace(" ", "-"), password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user, staff_client(user)


@pytest.fixture
def recruiter(django_user_model, staff_client, demo_purposes):
    return _member("recruiter", django_user_model, staff_client)


def _post(client, **overrides):
    agreed = timezone.localtime() - timedelta(hours=3)
    data = {"key": str(uuid.uuid4()), "kind": "apply", "full_name": "Wanjiku Kamau", "email": "wanjiku@example.org",
            "mobile": "", "address": "", "message": "", "channel": "phone",
            "consented_at": agreed.strftime("%Y-%m-%d %H:%M"), "language": "sw",
            "purposes": [Purpose.objects.get(slug=slug).pk for slug in ("recruitment", "share-with-employer")]}
    data.update(overrides)
    return client.post("/admin/people/add/", data, follow=True), agreed


def test_a_recruiter_adds_an_applicant_who_phoned_with_the_consent_evidence(
        recruiter, mailoutbox, django_capture_on_commit_callbacks):
    user, client = recruiter
    form = client.get("/admin/people/add/").content.decode()
    assert "How did they agree?" in form and "Sharing with the hiring company" in form
    with django_capture_on_commit_callbacks(execute=True):
        response, agreed = _post(client)
    assert "The person is added" in response.content.decode()
    subject = DataSubject.objects.get()
    assert response.redirect_chain[-1][0] == f"/admin/subjects/datasubject/{subject.pk}/change/"
    receipts = ConsentRecord.objects.filter(subject=subject)
    assert {r.purpose.slug for r in receipts} == {"recruitment", "share-with-employer"}
    for receipt in receipts:
        assert receipt.source == "staff" and receipt.collection_point == "staff-phone"
        assert receipt.consented_at.replace(second=0, microsecond=0) == agreed.replace(second=0, microsecond=0)
        assert receipt.language == "sw"
    created = AuditEvent.objects.get(verb="subject.created", target=str(subject.pk))
    assert created.actor_type == "staff" and created.actor_id == str(user.pk)
    assert ServiceEngagement.objects.get(subject=subject).service == "recruitment"
    assert [m.to for m in mailoutbox] == [["wanjiku@example.org"]]
    assert re.search(r"/me/[^\s/]+/", mailoutbox[0].body)
    assert "Habari" in mailoutbox[0].body  # in the language the person speaks
    assert "Legal ID" not in mailoutbox[0].body  # the confirmation lists only what was given


def test_an_enquiry_by_email_needs_the_message_and_its_own_purposes(recruiter, mailoutbox):
    _user, client = recruiter
    enquiry = [Purpose.objects.get(slug="enquiry-response").pk]
    page = _post(client, kind="contact", channel="email", purposes=enquiry)[0].content.decode()
    assert "An enquiry needs the person" in page
    page = _post(client, kind="contact", message="Do you hire drivers?")[0].content.decode()
    assert "Choose only purposes this kind of form asks for" in page
    assert not DataSubject.objects.exists()
    _post(client, kind="contact", channel="email", purposes=enquiry, message="Do you hire drivers?")
    assert ServiceEngagement.objects.get().service == "enquiry"
    assert ConsentRecord.objects.get().collection_point == "staff-email"


def test_nothing_is_stored_without_a_required_consent_or_with_consent_in_the_future(recruiter, mailoutbox):
    _user, client = recruiter
    page = _post(client, purposes=[Purpose.objects.get(slug="recruitment").pk])[0].content.decode()
    assert "Without the person" in page
    tomorrow = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    assert "Consent cannot have been given in the future" in _post(client, consented_at=tomorrow)[0].content.decode()
    assert not DataSubject.objects.exists() and not mailoutbox


def test_the_same_form_sent_twice_adds_one_person(recruiter):
    _user, client = recruiter
    key = str(uuid.uuid4())
    _post(client, key=key)
    _post(client, key=key)
    assert DataSubject.objects.count() == 1 and Submission.objects.count() == 1


def test_support_cannot_add_people(django_user_model, staff_client, demo_purposes, client):
    _user, support = _member("support", django_user_model, staff_client)
    assert _post(support)[0].status_code == 403
    assert "Add a person who wrote or phoned" not in support.get("/admin/subjects/datasubject/").content.decode()
    assert client.post("/admin/people/add/", {}).status_code == 302
    assert not DataSubject.objects.exists()
