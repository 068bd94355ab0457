"""A recruiter reads an enquiry through a reveal and answers it by email to the address on file; answering
closes the enquiry's service, and the person's erasure waits until the answer has gone."""

import smtplib

import pytest
from django.contrib.auth.models import Group

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.notifications.models import Notification
from apps.staff.services import EnquiryClosed, enquiry_answer
from apps.subjects import services
from apps.subjects.models import DataSubject, ErasureJob, ServiceEngagement
from apps.vault.models import DeletionCertificate
from tests.factories import SubjectFactory
from tests.notifications.fakes import FlakyEmailBackend

pytestmark = pytest.mark.django_db


@pytest.fixture
def enquiry():
    subject = SubjectFactory(email="jabali@example.org")
    services.engagement_open(subject=subject, actor=Actor.system("test"), service="enquiry")
    return services.enquiry_add(subject=subject, actor=Actor.system("test"), message="Do you hire in Mombasa?")


def _member(role, django_user_model, staff_client):
    user = django_user_model.objects.create_user(role.replace(" ", "-"), password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user, staff_client(user)


def test_a_recruiter_answers_an_enquiry_by_email(enquiry, django_user_model, staff_client, mailoutbox,
                                                 django_capture_on_commit_callbacks):
    user, client = _member("recruiter", django_user_model, staff_client)
    revealed = client.post(f"/admin/subjects/enquiry/{enquiry.pk}/reveal/", {"reason": "enquiry"}).content.decode()
    assert "Do you hire in Mombasa?" in revealed and "Send the answer" in revealed
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/enquiries/{enquiry.pk}/answer/",
                               {"body": "Yes: see our vacancies <b>page</b>."}, follow=True)
    assert "Your answer is on its way" in response.content.decode()
    # The answer, then the notice that the data is deleted, with its certificate.
    assert [m.to for m in mailoutbox] == [["jabali@example.org"], ["jabali@example.org"]]
    assert mailoutbox[1].subject.endswith("is deleted")
    message = mailoutbox[0]
    assert "Yes: see our vacancies <b>page</b>." in message.body
    html = message.alternatives[0][0] if message.alternatives else ""
    assert "&lt;b&gt;page&lt;/b&gt;" in html and "<b>page</b>" not in html
    event = AuditEvent.objects.get(verb="enquiry.answered")
    assert event.actor_id == str(user.pk) and "vacancies" not in str(event.detail)
    # The answer went first; then the enquiry's service closed and the person was erased, as promised.
    assert ServiceEngagement.objects.get(subject=enquiry.subject_id).status == "completed"
    assert DataSubject.objects.get(pk=enquiry.subject_id).is_erased
    job = ErasureJob.objects.get(subject=enquiry.subject_id)
    assert job.state == "done" and str(job.after_notification) == event.detail["notification"]
    assert DeletionCertificate.objects.filter(subject_id=enquiry.subject_id).exists()


def test_the_erasure_waits_for_the_answer_to_go(enquiry, django_user_model, django_capture_on_commit_callbacks,
                                                mailoutbox):
    user = django_user_model.objects.create_user("rec", password="x" * 16, is_staff=True)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        notification = enquiry_answer(enquiry=enquiry, staff_user=user, body="Yes, we do.")
    job = ErasureJob.objects.get(subject=enquiry.subject_id)
    assert job.state == "waiting" and job.after_notification == notification.pk
    assert len(queued) == 1  # the answer's send only: the erasure is not published yet
    assert services.erasure_job_run(job_id=job.pk) is None  # a stray delivery cannot run it
    assert not DataSubject.objects.get(pk=enquiry.subject_id).is_erased
    with django_capture_on_commit_callbacks(execute=True):
        queued[0]()  # the answer is sent, which releases the erasure
    assert [m.subject.endswith("is deleted") for m in mailoutbox] == [False, True]  # the answer, then the notice
    assert DataSubject.objects.get(pk=enquiry.subject_id).is_erased


def test_an_answer_that_fails_for_good_still_lets_the_erasure_go(enquiry, django_user_model, settings, mailoutbox,
                                                                 django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.notifications.fakes.FlakyEmailBackend"
    FlakyEmailBackend.failures = [smtplib.SMTPRecipientsRefused({"jabali@example.org": (550, b"no such mailbox")})]
    user = django_user_model.objects.create_user("rec", password="x" * 16, is_staff=True)
    with django_capture_on_commit_callbacks(execute=True):
        enquiry_answer(enquiry=enquiry, staff_user=user, body="Yes, we do.")
    assert AuditEvent.objects.filter(verb="notification.failed", target=str(enquiry.subject_id)).exists()
    assert DataSubject.objects.get(pk=enquiry.subject_id).is_erased


def test_the_sweep_releases_an_erasure_whose_answer_is_no_longer_in_flight(enquiry, django_user_model,
                                                                          django_capture_on_commit_callbacks):
    from apps.notifications.services import notifications_redrive

    user = django_user_model.objects.create_user("rec", password="x" * 16, is_staff=True)
    with django_capture_on_commit_callbacks(execute=False):
        notification = enquiry_answer(enquiry=enquiry, staff_user=user, body="Yes, we do.")
    Notification.objects.filter(pk=notification.pk).delete()  # as if its end was recorded without the release
    with django_capture_on_commit_callbacks(execute=True):
        notifications_redrive()
    assert DataSubject.objects.get(pk=enquiry.subject_id).is_erased


def test_an_enquiry_is_answered_exactly_once(enquiry, django_user_model, staff_client, mailoutbox,
                                             django_capture_on_commit_callbacks):
    _user, client = _member("recruiter", django_user_model, staff_client)
    with django_capture_on_commit_callbacks(execute=False):
        client.post(f"/admin/enquiries/{enquiry.pk}/answer/", {"body": "Yes."})
        second = client.post(f"/admin/enquiries/{enquiry.pk}/answer/", {"body": "Yes."}, follow=True)
    assert "already been answered and closed: nothing was sent" in second.content.decode()
    assert Notification.objects.filter(template="enquiry_reply").count() == 1
    assert AuditEvent.objects.filter(verb="enquiry.answered").count() == 1
    with pytest.raises(EnquiryClosed):
        enquiry_answer(enquiry=enquiry, staff_user=_user, body="Again")


def test_support_cannot_answer_enquiries(enquiry, django_user_model, staff_client):
    _user, client = _member("support", django_user_model, staff_client)
    assert client.post(f"/admin/enquiries/{enquiry.pk}/answer/", {"body": "Hello"}).status_code == 403
    assert not Notification.objects.filter(template="enquiry_reply").exists()


def test_an_outsider_is_sent_to_sign_in(enquiry, client):
    assert client.post(f"/admin/enquiries/{enquiry.pk}/answer/", {"body": "Hello"}).status_code == 302
    assert not Notification.objects.filter(template="enquiry_reply").exists()


def test_support_cannot_learn_a_messages_length_from_the_list_address(enquiry, django_user_model, staff_client):
    _user, client = _member("support", django_user_model, staff_client)
    # Django's admin passes lookups on a model's own fields from the address to the query: an encrypted field
    # offers none, so a length filter is refused (Django answers it with the list, unfiltered, and an error flag).
    for n in (20, 200):
        response = client.get("/admin/subjects/enquiry/", {"message__sealed_length__gte": n})
        assert response.status_code in (200, 302, 400)
        assert "sealed_length" not in response.get("Location", "") or "e=1" in response["Location"]
    listed = [client.get("/admin/subjects/enquiry/", {"message__sealed_length__gte": n}, follow=True)
              .content.decode().count(str(enquiry.pk)) for n in (20, 200)]
    assert listed[0] == listed[1]
