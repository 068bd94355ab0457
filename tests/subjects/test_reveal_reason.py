"""The reveal service itself refuses a reveal without a known reason, whoever calls it (not only the admin's
form): nothing is shown, no reveal is kept and the audit log says nothing."""

import pytest

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.subjects import services
from apps.subjects.models import Enquiry, IdentityDocument, Reveal
from apps.subjects.services import RevealReasonMissing
from tests.factories import PDF_BYTES, SubjectFactory

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


@pytest.fixture
def recruiter(django_user_model):
    return django_user_model.objects.create_user("recruiter", password="x" * 16, is_staff=True)


@pytest.mark.parametrize("reason", ["", "   ", "curiosity", None, "RIGHTS-REQUEST"])
def test_a_reveal_without_a_known_reason_is_refused_and_records_nothing(recruiter, reason):
    subject = SubjectFactory(full_name="Halima Abdi")
    events = AuditEvent.objects.count()
    with pytest.raises(RevealReasonMissing) as refused:
        services.subject_reveal(subject=subject, staff_user=recruiter, reason=reason)
    assert "Halima" not in str(refused.value)
    assert not Reveal.objects.exists() and AuditEvent.objects.count() == events


def test_an_enquiry_or_a_document_is_not_revealed_without_a_known_reason(recruiter):
    subject = SubjectFactory()
    services.engagement_open(subject=subject, actor=SYSTEM, service="enquiry")
    services.enquiry_add(subject=subject, actor=SYSTEM, message="When is the interview?")
    services.document_add(subject=subject, actor=SYSTEM, data=PDF_BYTES)
    events = AuditEvent.objects.count()
    with pytest.raises(RevealReasonMissing):
        services.enquiry_reveal(enquiry=Enquiry.objects.get(), staff_user=recruiter, reason="")
    with pytest.raises(RevealReasonMissing):
        services.document_reveal(document=IdentityDocument.objects.get(), staff_user=recruiter, reason="because")
    assert not Reveal.objects.exists() and AuditEvent.objects.count() == events


def test_a_known_reason_reveals(recruiter):
    subject = SubjectFactory(full_name="Halima Abdi")
    record = services.subject_reveal(subject=subject, staff_user=recruiter, reason="rights-request")
    assert record.full_name == "Halima Abdi" and Reveal.objects.get().reason == "rights-request"
