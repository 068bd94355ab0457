"""Staff find people by what they gave (through the blind index), see them masked, and reveal with a reason."""

import pytest
from django.contrib.auth.models import Permission

from apps.audit.models import AuditEvent
from apps.audit.services import Actor, audit_chain_verify
from apps.subjects import services
from apps.subjects.models import Reveal
from tests.factories import PDF_BYTES, EngagementFactory, SubjectFactory

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
PEOPLE = "/admin/subjects/datasubject/"


@pytest.fixture
def recruiter(django_user_model):
    user = django_user_model.objects.create_user("recruiter", password="x" * 16, is_staff=True)
    for codename in ["view_datasubject", "reveal_personal_data", "view_enquiry", "view_identitydocument"]:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


@pytest.fixture
def support(django_user_model):
    user = django_user_model.objects.create_user("support", password="x" * 16, is_staff=True)
    for codename in ["view_datasubject", "view_enquiry", "view_identitydocument"]:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


def _find(client, term: str):
    return client.post(f"{PEOPLE}find/", {"q": term})


def test_a_recruiter_finds_the_person_who_phoned_by_email_without_the_email_in_any_url(staff_client, recruiter):
    wanted = SubjectFactory(full_name="Halima Abdi", email="halima.abdi@example.org")
    SubjectFactory(full_name="Someone Else")
    client = staff_client(recruiter)
    response = _find(client, "  Halima.Abdi@Example.org ")
    assert response.status_code == 302 and "halima" not in response["Location"].lower()
    page = client.get(response["Location"]).content.decode()
    assert str(wanted.pk) in page and "Ha•••••••di" in page and "h•••@example.org" in page
    assert "Halima" not in page and "Someone" not in page


def test_a_mobile_number_is_found_however_it_is_written(staff_client, recruiter):
    wanted = SubjectFactory(mobile="+254712000123")
    client = staff_client(recruiter)
    for written in ["0712 000 123", "+254 712 000123"]:
        page = client.get(_find(client, written)["Location"]).content.decode()
        assert str(wanted.pk) in page


def test_a_service_reference_or_public_id_finds_the_person(staff_client, recruiter):
    engagement = EngagementFactory(reference="REQ-4242")
    client = staff_client(recruiter)
    by_reference = client.get(_find(client, "REQ-4242")["Location"]).content.decode()
    by_id = client.get(_find(client, str(engagement.subject_id))["Location"]).content.decode()
    assert str(engagement.subject_id) in by_reference and str(engagement.subject_id) in by_id


def test_a_name_or_a_mistyped_number_never_reaches_the_address_bar(staff_client, recruiter):
    SubjectFactory(full_name="Achieng Otieno")
    client = staff_client(recruiter)
    for term in ["Achieng Otieno", "07123", "REQ-no-such"]:
        response = _find(client, term)
        assert response.status_code == 302 and response["Location"] == PEOPLE, term
        assert "Nobody found" in client.get(response["Location"]).content.decode()


def test_the_list_shows_open_applications_and_enquiries(staff_client, recruiter):
    engagement = EngagementFactory()
    services.engagement_open(subject=engagement.subject, actor=SYSTEM, service="enquiry")
    page = staff_client(recruiter).get(PEOPLE).content.decode()
    assert "Open applications" in page and "Open enquiries" in page


def test_a_person_page_is_read_only_without_save_buttons(staff_client, recruiter):
    subject = SubjectFactory()
    page = staff_client(recruiter).get(f"{PEOPLE}{subject.pk}/change/").content.decode()
    assert 'name="_save"' not in page and 'name="_continue"' not in page


def test_a_reveal_writes_one_audit_event_with_the_reason_code_and_seals_the_note(staff_client, recruiter):
    subject = SubjectFactory(full_name="Halima Abdi")
    response = staff_client(recruiter).post(f"{PEOPLE}{subject.pk}/reveal/",
                                            {"reason": "rights-request", "note": "Halima asked by phone"})
    assert "Halima Abdi" in response.content.decode() and "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(verb="pii.revealed")
    assert event.detail["reason"] == "rights-request" and event.detail["what"] == "record"
    assert "Halima" not in str(event.detail)
    reveal = Reveal.objects.get()
    assert reveal.note == "Halima asked by phone"
    services.subject_erase(subject=subject, reason="subject-request")
    assert not Reveal.objects.filter(subject=subject).exists()
    assert audit_chain_verify().ok


def test_a_reveal_without_a_reason_shows_nothing_and_records_nothing(staff_client, recruiter):
    subject = SubjectFactory(full_name="Halima Abdi")
    response = staff_client(recruiter).post(f"{PEOPLE}{subject.pk}/reveal/", {"reason": ""})
    assert response.status_code == 302 and not AuditEvent.objects.filter(verb="pii.revealed").exists()


def test_support_sees_masked_people_but_cannot_reveal(staff_client, support):
    subject = SubjectFactory(full_name="Halima Abdi")
    client = staff_client(support)
    page = client.get(f"{PEOPLE}{subject.pk}/change/").content.decode()
    assert "Halima" not in page and "Reveal" not in page
    assert client.post(f"{PEOPLE}{subject.pk}/reveal/", {"reason": "application"}).status_code == 403


def test_an_outsider_is_sent_to_sign_in(client):
    subject = SubjectFactory()
    for url in [PEOPLE, f"{PEOPLE}{subject.pk}/change/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.post(f"{PEOPLE}{subject.pk}/reveal/", {"reason": "application"}).status_code == 302
    assert not AuditEvent.objects.filter(verb="pii.revealed").exists()


def test_an_id_scan_opens_only_through_a_reveal_as_a_download_the_browser_cannot_run(staff_client, recruiter):
    subject = SubjectFactory()
    document = services.document_add(subject=subject, actor=SYSTEM, data=PDF_BYTES)
    client = staff_client(recruiter)
    page = client.get(f"/admin/subjects/identitydocument/{document.pk}/change/").content.decode()
    assert "bytes" in page or "KB" in page
    assert 'name="_save"' not in page and "passport scan" not in page
    response = client.post(f"/admin/subjects/identitydocument/{document.pk}/reveal/", {"reason": "application"})
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(verb="pii.revealed")
    assert event.detail["what"] == "document" and event.detail["item"] == str(document.pk)


def test_document_sizes_have_units():
    from apps.subjects.admin import IdentityDocumentAdmin

    assert IdentityDocumentAdmin.human_size(None, type("D", (), {"size": 40 * 1024})()) == "40.0\xa0KB"


def test_support_cannot_open_an_id_scan(staff_client, support):
    document = services.document_add(subject=SubjectFactory(), actor=SYSTEM, data=PDF_BYTES)
    response = staff_client(support).post(f"/admin/subjects/identitydocument/{document.pk}/reveal/",
                                          {"reason": "application"})
    assert response.status_code == 403 and not AuditEvent.objects.filter(verb="pii.revealed").exists()


def test_an_enquiry_message_is_read_through_a_reveal(staff_client, recruiter, support):
    enquiry = services.enquiry_add(subject=SubjectFactory(), actor=SYSTEM, message="Please call me after 5pm")
    url = f"/admin/subjects/enquiry/{enquiry.pk}/"
    assert "after 5pm" not in staff_client(support).get(f"{url}change/").content.decode()
    response = staff_client(recruiter).post(f"{url}reveal/", {"reason": "enquiry"})
    assert "Please call me after 5pm" in response.content.decode()
    assert AuditEvent.objects.get(verb="pii.revealed").detail["reason"] == "enquiry"


def test_the_people_list_says_restricted_or_normal_in_words(admin_client):
    SubjectFactory()
    page = admin_client.get("/admin/subjects/datasubject/").content.decode()
    assert '<td class="field-restricted">Normal</td>' in page and "icon-no.svg" not in page
