import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from apps.consent.models import ConsentRecord, Submission
from apps.notifications import backends as sms_backends
from apps.subjects.models import DataSubject, IdentityDocument, PersonalRecord, ServiceEngagement
from tests.consent.helpers import application_post, send_form

# Jobs are queued on commit, so these tests commit (as a real request does).
pytestmark = pytest.mark.django_db(transaction=True)


def test_the_application_form_explains_everything_before_anyone_types(client, demo_purposes):
    body = client.get("/apply/").content.decode()
    for text in ["Jamii Talent Ltd", "privacy@example.org", "Recruitment", "Sharing with the hiring company",
                 "the client company that is hiring for this job", "Legal basis:", "Your consent",
                 "Kept until the service is complete", "(required)", "(optional)", "Your rights",
                 "withdraw any consent as easily as you gave it", "/privacy/versions/1/",
                 "Without it we cannot provide"]:
        assert text in body, text
    assert "checked" not in body.split('name="consent_marketing"')[1].split(">")[0]


def test_a_valid_application_stores_encrypted_data_consents_and_queues_confirmation(client, demo_purposes,
                                                                                   mailoutbox, settings):
    settings.SMS_BACKEND = "apps.notifications.backends.LocmemSmsBackend"
    sms_backends.outbox.clear()
    response = send_form(client, "/apply/", application_post(**{"consent_marketing": "on"}))
    assert response.status_code == 302 and response["Location"] == "/sent/"
    subject = DataSubject.objects.get()
    record = PersonalRecord.objects.get(subject=subject)
    assert (record.full_name, record.mobile.as_e164) == ("Amani Wekesa", "+254712345678")
    assert [r["name"] for r in record.referees] == ["Jane Muthoni", "Peter Odhiambo"]
    assert IdentityDocument.objects.get(subject=subject).content_type == "application/pdf"
    assert ServiceEngagement.objects.get(subject=subject).service == "recruitment"
    receipts = ConsentRecord.objects.filter(subject=subject)
    assert {r.purpose.slug for r in receipts} == {"recruitment", "share-with-employer", "marketing"}
    assert all(r.policy_version.version == "1" and len(r.wording_sha256) == 64 for r in receipts)
    assert all(r.user_agent_summary and r.ip_hmac != "127.0.0.1" for r in receipts)

    assert len(mailoutbox) == 2  # the code, then the confirmation with the private link
    mail = mailoutbox[1]
    assert mail.to == ["amani.wekesa@example.org"] and "/me/" in mail.body
    assert "Amani" not in mail.subject
    sms_to = sorted(m.to for m in sms_backends.outbox)
    assert sms_to == ["+254712345678", "+254722111222", "+254733444555"]  # the applicant and each referee
    own_sms = next(m for m in sms_backends.outbox if m.to == "+254712345678")
    assert "privacy policy v1" in own_sms.text and "/privacy/versions/1/" in own_sms.text  # the version consented under

    page = client.get("/sent/").content.decode()
    assert "ID document" in page and "Recruitment" in page
    assert "An email and an SMS with your private link are on their way." in page


def test_a_missing_required_consent_is_refused_next_to_the_box_and_stores_nothing(client, demo_purposes):
    response = send_form(client, "/apply/", application_post(**{"consent_share-with-employer": None}))
    assert response.status_code == 400
    body = response.content.decode()
    assert "We cannot process this form without this consent" in body
    assert 'id="id_consent_share-with-employer_error"' in body
    assert DataSubject.objects.count() == 0 and ConsentRecord.objects.count() == 0


@pytest.mark.parametrize(("upload", "message"), [
    (SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024), content_type="application/pdf"),
     "larger than 10 MB"),
    (SimpleUploadedFile("cv.pdf", b"MZ\x90\x00\x03" + b"\x00" * 500, content_type="application/pdf"),
     "not a PDF, JPEG or PNG"),
])
def test_oversized_or_disguised_uploads_are_refused(client, demo_purposes, upload, message):
    response = send_form(client, "/apply/", application_post(id_document=upload))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert DataSubject.objects.count() == 0 and IdentityDocument.objects.count() == 0


def test_sending_the_same_form_twice_creates_one_person(client, demo_purposes):
    data = application_post()
    key = data["key"]
    send_form(client, "/apply/", data)
    again = application_post(key=key)
    assert send_form(client, "/apply/", again).status_code == 302
    assert DataSubject.objects.count() == 1 and Submission.objects.count() == 1


def test_the_contact_form_needs_no_mobile(client, demo_purposes, mailoutbox):
    response = send_form(client, "/contact/", {"key": "6b7a4c1e-0d1a-4b36-9a53-0d8f5a1c0001", "full_name": "Baraka",
                                         "email": "baraka@example.org", "mobile": "", "message": "Do you hire?",
                                         "consent_enquiry-response": "on"})
    assert response.status_code == 302
    subject = DataSubject.objects.get()
    assert subject.enquiries.get().message == "Do you hire?"
    assert PersonalRecord.objects.get(subject=subject).mobile is None
    assert len(mailoutbox) == 2  # the code, then the confirmation


def test_invalid_fields_get_clear_messages(client, demo_purposes):
    response = send_form(client, "/apply/", application_post(email="not-an-email", mobile="12", legal_id_number="!"))
    body = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid email address." in body
    assert "Enter a valid phone number" in body
    assert "Enter the number as printed" in body
    assert 'aria-invalid="true"' in body


FIELDS = ["key", "full_name", "date_of_birth", "email", "mobile", "address", "legal_id_type", "legal_id_number",
          "referee_1_name", "referee_1_phone", "referee_1_relationship", "referee_2_name", "referee_2_phone",
          "referee_2_relationship", "consent_recruitment", "consent_share-with-employer", "consent_marketing",
          "message", "consent_enquiry-response"]


@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.sampled_from(["/apply/", "/contact/"]),
       body=st.dictionaries(st.sampled_from(FIELDS), st.one_of(st.text(max_size=300), st.just("on"),
                                                                st.just("0712345678")), max_size=len(FIELDS)),
       with_file=st.booleans(), file_bytes=st.binary(max_size=200))
def test_fuzzed_posts_never_fail_and_never_store_part_of_a_person(client, demo_purposes, form, body, with_file,
                                                                    file_bytes):
    data = {k: v.replace("\x00", "") for k, v in body.items()}
    if with_file:
        data["id_document"] = SimpleUploadedFile("x.pdf", file_bytes)
    before = DataSubject.objects.count()
    response = client.post(form, data)
    assert response.status_code in (200, 302, 400)
    for subject in DataSubject.objects.order_by("created_at")[before:]:  # anything stored is complete
        assert PersonalRecord.objects.filter(subject=subject).exists()
        assert ConsentRecord.objects.filter(subject=subject).exists()


def test_uploads_are_held_in_memory_never_in_a_temporary_file(rf):
    from django.core.files.uploadedfile import InMemoryUploadedFile

    scan = b"%PDF-" + b"1" * (4 * 1024 * 1024)  # Django's default handlers spool this to /tmp
    request = rf.post("/apply/", {"id_document": SimpleUploadedFile("scan.pdf", scan)})
    upload = request.FILES["id_document"]
    assert isinstance(upload, InMemoryUploadedFile) and upload.read() == scan


def test_an_oversized_upload_is_counted_but_not_kept(rf, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    request = rf.post("/apply/", {"id_document": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * 5000)})
    upload = request.FILES["id_document"]
    assert upload.size == 5005 and upload.read() == b""
