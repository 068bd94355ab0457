import re
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
        "full_name": "Amani Wekesa", "date_of_birth": "23/04/1998", "email": "amani.wekesa@example.org",
        "mobile": "0712 345 678",
        "address": "P.O. Box 100-00200, Ngong Road, Nairobi",
        "legal_id_type": "national-id", "legal_id_number": "27654321",
        "id_document": SimpleUploadedFile("scan.pdf", PDF_BYTES, content_type="application/pdf"),
        "referee_1_name": "Jane Muthoni", "referee_1_phone": "0722 111 222", "referee_1_relationship": "Manager",
        "referee_2_name": "Peter Odhiambo", "referee_2_phone": "0733 444 555", "referee_2_relationship": "Lecturer",
        "consent_recruitment": "on", "consent_share-with-employer": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def intake_code(email: str = "", template: str = "intake_code") -> str:
    """The code in the newest email a sent form brought (to `email`, if given)."""
    from apps.notifications.models import Notification

    emails = Notification.objects.filter(template=template, channel="email").order_by("created_at")
    found = [n for n in emails if not email or n.recipient == email]
    return found[-1].context["code"]


def intake_link(email: str = "") -> str:
    from apps.notifications.models import Notification

    emails = Notification.objects.filter(template="intake_code", channel="email").order_by("created_at")
    return [n for n in emails if not email or n.recipient == email][-1].context["link"]


def confirm_intake(client, email: str = ""):
    """What the visitor does after sending a form: types the code from the email on the page they are on.
    Returns the page's answer (a redirect to /sent/ once confirmed)."""
    return client.post("/sent/code/", {"code": intake_code(email)})


def send_form(client, path: str, data: dict, *, confirm: bool = True, **kwargs):
    """Send a public form and, when it is accepted, type the emailed code: the answer of the last step
    (`kwargs`, such as follow=True, go to that step)."""
    response = client.post(path, data)
    if confirm and response.status_code == 302 and response["Location"].endswith("/sent/code/"):
        return client.post("/sent/code/", {"code": intake_code(data.get("email", ""))}, **kwargs)
    return response


def type_the_emailed_code(page, mailbox, email: str) -> None:
    """In the browser, on the page a sent form leads to: type the code from the newest form email to `email`
    (the real SMTP server's mailbox; never in the subject, which lock screens show) and confirm."""
    from tests.conftest import wait_for

    def body(message) -> str:
        part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
        return part.get_payload(decode=True).decode()

    def newest():
        return next((m for m in reversed(mailbox) if email in m["X-Envelope-To"].lower()
                     and "/confirm/" in body(m)), None)

    code = re.search(r"^\s+(\d{6})\s*$", body(wait_for(newest, timeout=30)), re.M).group(1)
    page.locator("#id_code").fill(code)
    page.locator("button[value=code]").click()


def fill_application(page, *, scan, email: str = "wanjiru@example.org", mobile: str = "0799 000 111") -> None:
    """In the browser, on the application form: Wanjiru's details, her ID scan, two referees and the two
    required consents (the job already chosen)."""
    page.get_by_label("Full name").fill("Wanjiru Kamau")
    page.get_by_label("Date of birth").fill("14/02/1996")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Mobile number").fill(mobile)
    page.get_by_label("Postal or physical address").fill("P.O. Box 1-00100, Nairobi")
    page.get_by_label("Type of ID").select_option("national-id")
    page.get_by_label("ID number").fill("31234567")
    page.get_by_label("Scan or photo of your ID").set_input_files(str(scan))
    for n, (name, phone) in enumerate([("Otieno Ouma", "0722 000 111"), ("Akinyi Adhiambo", "0733 000 222")], 1):
        fieldset = page.get_by_role("group", name="First referee" if n == 1 else "Second referee")
        fieldset.get_by_label("Name").fill(name)
        fieldset.get_by_label("Phone number").fill(phone)
        fieldset.get_by_label("How they know you").fill("Former supervisor")
    page.get_by_label("I agree: Recruitment").check()
    page.get_by_label("I agree: Sharing with the hiring company").check()
