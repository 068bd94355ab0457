import uuid

from django.core.files.uploadedfile import SimpleUploadedFile

from apps.subjects.selectors import vacancies_open
from tests.factories import PDF_BYTES


def open_vacancy() -> str:
    """An open vacancy's id (the demo_purposes fixture seeds two): every application is for a job."""
    return str(vacancies_open().values_list("pk", flat=True).first())


def application_post(**overrides) -> dict:
    data = {
        "key": str(uuid.uuid4()), "vacancy": overrides["vacancy"] if "vacancy" in overrides else open_vacancy(),
        "full_name": "Amani Wekesa", "email": "amani.wekesa@example.org", "mobile": "0712 345 678",
        "address": "P.O. Box 100-00200, Ngong Road, Nairobi",
        "legal_id_type": "national-id", "legal_id_number": "27654321",
        "id_document": SimpleUploadedFile("scan.pdf", PDF_BYTES, content_type="application/pdf"),
        "referee_1_name": "Jane Muthoni", "referee_1_phone": "0722 111 222", "referee_1_relationship": "Manager",
        "referee_2_name": "Peter Odhiambo", "referee_2_phone": "0733 444 555", "referee_2_relationship": "Lecturer",
        "consent_recruitment": "on", "consent_share-with-employer": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def confirm_pending(subject) -> str:
    """What the person does with the "was it you?" email a form with their address brought: follows its link
    and confirms. Returns the outcome."""
    from apps.notifications.models import Notification
    from apps.recruitment.intake import pending_request_confirm

    email = Notification.objects.filter(subject=subject, template="pending_confirm").order_by("created_at").last()
    return pending_request_confirm(token=email.context["link"].rstrip("/").rsplit("/", 1)[1])
