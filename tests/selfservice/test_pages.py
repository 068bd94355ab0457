import io
import json
import logging
import re
import zipfile
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.consent.models import ConsentRecord
from apps.core import datamap
from apps.core.logging import RedactPrivateLinks
from apps.notifications.models import Notification
from apps.recruitment.intake import referee_remove
from apps.selfservice.models import LinkRequest
from apps.selfservice.services import link_request_create, link_request_process
from apps.subjects.models import DataSubject, PersonalRecord
from apps.subjects.services import record_update, subject_erase_now, subject_links_revoke
from apps.vault.models import DeletionCertificate
from apps.vault.transparency import proof_check
from tests.conftest import wait_for
from tests.consent.helpers import send_form
from tests.selfservice.helpers import LINK_RE, apply_for_link, step_up

# Jobs are queued on commit, so these tests commit (as a real request does).
pytestmark = pytest.mark.django_db(transaction=True)
FILES = {"id_document", "cv"}  # file inputs: a browser sends them empty; a test leaves them out




@pytest.fixture
def applicant(client, mailoutbox, demo_purposes):
    return apply_for_link(client, mailoutbox, **{"consent_marketing": "on"})


def test_the_link_shows_masked_data_with_private_headers(client, applicant):
    response = client.get(applicant)
    body = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store" and response["Referrer-Policy"] == "same-origin"
    assert "Amani Wekesa" not in body and "Am••••••••sa" in body
    assert "amani.wekesa@example.org" not in body and "a•••@example.org" in body
    assert "Recruitment" in body and "Withdraw consent: News about new jobs" in body


def test_a_forwarded_link_cannot_read_the_data_without_the_code(client, applicant, mailoutbox):
    response = client.get(applicant + "data/")
    assert response.status_code == 302 and "/code/" in response["Location"]
    assert client.get(applicant + "export/").status_code == 302
    step_up(client, mailoutbox, applicant)
    body = client.get(applicant + "data/").content.decode()
    assert "Amani Wekesa" in body and "Ngong Road" in body


def test_a_code_is_single_use_and_allows_five_tries(client, applicant, mailoutbox):
    client.post(applicant + "code/", {"action": "send"})
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):  # the page says how many tries are left
        page = client.post(applicant + "code/", {"action": "verify", "code": wrong}).content.decode()
        more = f"{left} more tr{'ies' if left > 1 else 'y'}, then ask for a new code"
        assert "That code is not right" in page and more in page
    assert "Ask for a new code" in client.post(applicant + "code/", {"action": "verify", "code": wrong}
                                               ).content.decode()
    # the right code no longer works after five tries
    assert client.post(applicant + "code/", {"action": "verify", "code": code}).status_code == 400


def test_a_code_expires_after_ten_minutes(client, applicant, mailoutbox):
    client.post(applicant + "code/", {"action": "send"})
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        response = client.post(applicant + "code/", {"action": "verify", "code": code})
    assert response.status_code == 400 and "Ask for a new code" in response.content.decode()


def test_correcting_the_address_is_saved_and_audited_without_values(client, applicant, mailoutbox):
    step_up(client, mailoutbox, applicant)
    form = client.get(applicant + "correct/").context["form"]
    data = {name: (field.value() if not hasattr(field.value(), "as_e164") else field.value().as_e164)
            for name, field in ((n, form[n]) for n in form.fields if n not in FILES)}
    data["address"] = "Plot 7, Oginga Odinga Street, Kisumu"
    assert client.post(applicant + "correct/", data).status_code == 302
    assert PersonalRecord.objects.get().address == "Plot 7, Oginga Odinga Street, Kisumu"
    event = AuditEvent.objects.filter(verb="record.corrected").last()
    assert event.detail == {"fields": ["address"]} and "Kisumu" not in json.dumps(event.detail)


def test_the_work_experience_can_be_corrected(client, applicant, mailoutbox):
    step_up(client, mailoutbox, applicant)
    form = client.get(applicant + "correct/").context["form"]
    data = {n: (form[n].value().as_e164 if hasattr(form[n].value(), "as_e164") else form[n].value())
            for n in form.fields if n not in FILES}
    data["experience"] = "Two years driving for a courier."
    assert client.post(applicant + "correct/", data).status_code == 302
    assert PersonalRecord.objects.get().experience == "Two years driving for a courier."
    assert AuditEvent.objects.filter(verb="record.corrected").last().detail == {"fields": ["experience"]}


def test_the_correction_page_shows_the_work_experience_and_never_changes_a_field_it_did_not_send(
        client, applicant, mailoutbox):
    record = PersonalRecord.objects.get()
    record.experience = "Five years as a stores clerk."
    record.save()
    step_up(client, mailoutbox, applicant)
    page = client.get(applicant + "correct/").content.decode()
    assert 'name="experience"' in page and "Five years as a stores clerk." in page
    form = client.get(applicant + "correct/").context["form"]
    # An older page, or a client that leaves the experience out:
    data = {n: (form[n].value().as_e164 if hasattr(form[n].value(), "as_e164") else form[n].value())
            for n in form.fields if n not in FILES and n != "experience"}
    data["address"] = "Plot 12, Kenyatta Avenue, Nakuru"
    assert client.post(applicant + "correct/", data).status_code == 302
    record = PersonalRecord.objects.get()
    assert record.address == "Plot 12, Kenyatta Avenue, Nakuru"
    assert record.experience == "Five years as a stores clerk."


def test_changing_the_email_revokes_the_link_and_tells_both_addresses(client, applicant, mailoutbox):
    step_up(client, mailoutbox, applicant)
    form = client.get(applicant + "correct/").context["form"]
    data = {n: (form[n].value().as_e164 if hasattr(form[n].value(), "as_e164") else form[n].value())
            for n in form.fields if n not in FILES}
    data["email"] = "amani.new@example.org"
    mailoutbox.clear()
    assert "new private link" in client.post(applicant + "correct/", data).content.decode()
    recipients = sorted(m.to[0] for m in mailoutbox)
    assert recipients == ["amani.new@example.org", "amani.wekesa@example.org"]
    assert client.get(applicant).status_code == 410
    new_link = "/" + LINK_RE.search(next(m for m in mailoutbox if m.to == ["amani.new@example.org"]).body
                                    ).group(0).split("/", 3)[3]
    assert client.get(new_link).status_code == 200


def _archive(response) -> zipfile.ZipFile:
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="my-data.zip"'
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_the_export_holds_everything(client, applicant, mailoutbox):
    step_up(client, mailoutbox, applicant)
    archive = _archive(client.get(applicant + "export/"))
    export = json.loads(archive.read("my-data/my-data.json"))
    data = {label: section["rows"] for label, section in export["data"].items()}
    assert data["record"][0]["full_name"] == "Amani Wekesa"
    # The files are files in the ZIP, named in the JSON, not base64 inside it.
    (document,) = data["documents"]
    assert document["content_type"] == "application/pdf" and "content_base64" not in document
    assert archive.read(f"my-data/{document['file']}").startswith(b"%PDF")
    assert {c["purpose"] for c in data["consents"]} >= {"recruitment", "marketing"}
    assert export["policy_versions"][0]["version"] == "1"
    assert data["engagements"][0]["status"] == "open"
    assert {m["message"] for m in data["messages_sent"]} >= {"confirmation", "stepup_code"}
    assert export["data"]["record"]["purposes"] and export["data"]["record"]["retention"]
    # Each receipt as a signed file next to its text in words, which /verify/ accepts.
    names = archive.namelist()
    receipts = sorted(n for n in names if n.startswith("my-data/receipts/") and n.endswith(".jws"))
    assert len(receipts) == len(data["consents"])
    for name in receipts:
        text = archive.read(name.removesuffix(".jws") + ".txt").decode()
        assert "you gave your consent to" in text
        assert proof_check(token=archive.read(name).decode()).valid
    page = archive.read("my-data/my-data.html").decode()
    assert "Amani Wekesa" in page and "Why we hold it:" in page and "Until when:" in page
    assert 'href="files/id-scan.pdf"' in page and "you gave your consent to “Recruitment" in page


def test_the_export_page_is_in_the_persons_language(client, applicant, mailoutbox):
    step_up(client, mailoutbox, applicant)
    client.cookies["django_language"] = "sw"
    archive = _archive(client.get(applicant + "export/", HTTP_ACCEPT_LANGUAGE="sw"))
    page = archive.read("my-data/my-data.html").decode()
    assert '<html lang="sw">' in page and "Maelezo yako" in page and "Stakabadhi zako" in page
    assert "Your details" not in page and "Why we hold it" not in page


def test_withdrawing_marketing_writes_a_new_receipt(client, applicant):
    assert client.post(applicant + "withdraw/marketing/").status_code == 302
    receipts = ConsentRecord.objects.filter(purpose__slug="marketing").order_by("created_at")
    assert [r.action for r in receipts] == ["given", "withdrawn"]
    assert "Withdraw consent: News about new jobs" not in client.get(applicant).content.decode()


def test_withdrawing_a_consent_the_service_needs_asks_then_ends_it(client, applicant, mailoutbox,
                                                                   django_capture_on_commit_callbacks):
    assert "/code/" in client.post(applicant + "withdraw/recruitment/", {"confirm": "yes"})["Location"]
    assert PersonalRecord.objects.exists()  # a forwarded link alone cannot end the service
    step_up(client, mailoutbox, applicant)
    page = client.post(applicant + "withdraw/recruitment/")
    assert "the service ends and we delete all your data" in page.content.decode()
    assert PersonalRecord.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(applicant + "withdraw/recruitment/", {"confirm": "yes"})
    assert not PersonalRecord.objects.exists()
    assert client.get(applicant).status_code == 410


def test_delete_everything_shows_the_certificate_and_the_link_then_says_deleted(client, applicant, mailoutbox):
    refused = client.post(applicant + "delete/", {"confirm": "yes"})
    assert refused.status_code == 302 and "/code/" in refused["Location"]
    assert PersonalRecord.objects.exists()  # a forwarded link alone cannot delete
    step_up(client, mailoutbox, applicant)
    assert "Delete all your data now?" in client.get(applicant + "delete/").content.decode()
    body = client.post(applicant + "delete/", {"confirm": "yes"}).content.decode()
    certificate = DeletionCertificate.objects.get()
    assert str(certificate.pk) in body
    after = client.get(applicant)
    assert after.status_code == 410
    text = after.content.decode()
    assert "has been deleted" in text and "Amani" not in text


@pytest.mark.parametrize("problem", ["tampered", "garbage", "expired", "revoked"])
def test_bad_links_get_a_clear_4xx_page_and_change_nothing(client, applicant, problem):
    events = AuditEvent.objects.count()
    if problem == "tampered":
        link = applicant[:-3] + ("A" if applicant[-3] != "A" else "B") + applicant[-2:]
        expected = 404
    elif problem == "garbage":
        link, expected = "/me/not-a-token/", 404
    elif problem == "expired":
        link, expected = applicant, 410
    else:
        client.post(applicant + "signout/")
        link, expected = applicant, 410
        events = AuditEvent.objects.count()
    with time_machine.travel(timezone.now() + timedelta(days=31 if problem == "expired" else 0)):
        response = client.get(link)
        assert client.post(link + "delete/", {"confirm": "yes"}).status_code == expected
    assert response.status_code == expected
    assert response["Cache-Control"] == "no-store"
    assert PersonalRecord.objects.count() == 1 and AuditEvent.objects.count() == events


def test_resend_answers_the_same_whether_or_not_we_hold_the_address(client, applicant, mailoutbox):
    known = client.post("/me/resend/", {"address": "AMANI.wekesa@example.org"})
    wait_for(lambda: not LinkRequest.objects.exists())  # looked up after the answer (a job, or a thread)
    wait_for(lambda: len(mailoutbox) == 1)  # sent just after the lookup commits, on the same thread
    assert "/me/" in mailoutbox[0].body
    unknown = client.post("/me/resend/", {"address": "nobody@example.org"})
    wait_for(lambda: not LinkRequest.objects.exists())
    assert len(mailoutbox) == 1
    assert known.status_code == unknown.status_code == 200
    def main(response) -> str:
        return response.content.decode().split("<main")[1].split("</main>")[0]

    assert main(known) == main(unknown)


def test_resend_is_rate_limited(client, demo_purposes, settings):
    settings.RATELIMIT_ENABLE = True
    statuses = [client.post("/me/resend/", {"address": f"x{i}@example.org"}).status_code for i in range(7)]
    assert statuses[:5] == [200] * 5 and statuses[-1] == 429


def test_a_referee_can_object_and_their_details_leave_the_application(client, applicant, settings):
    from apps.notifications import backends

    subject = DataSubject.objects.get()
    referee_id = PersonalRecord.objects.get().referees[0]["id"]
    from apps.subjects.links import referee_token

    link = f"/me/referee/{referee_token(subject, referee_id, 'Amani Wekesa')}/"
    assert "Amani Wekesa named you as a referee" in client.get(link).content.decode()
    sms_before = Notification.objects.filter(template="referee_notice").count()
    assert client.post(link).status_code == 200
    assert [r["name"] for r in PersonalRecord.objects.get().referees] == ["Peter Odhiambo"]
    # the message we sent them (their number and name) is gone too; the other referee's stays
    assert Notification.objects.filter(template="referee_notice").count() == sms_before - 1
    assert backends is not None


def _referee_link() -> str:
    """The link the first referee was sent by SMS when the application was confirmed."""
    notice = Notification.objects.filter(template="referee_notice").order_by("created_at").first()
    return "/" + notice.context["object_link"].split("/", 3)[3]


def test_a_referees_link_is_revoked_with_the_applicants_links(client, applicant):
    link = _referee_link()
    assert "Remove my details from this application" in client.get(link).content.decode()
    subject = DataSubject.objects.get()
    subject_links_revoke(subject=subject, actor=Actor.subject(subject))  # "sign out all links"
    response = client.get(link)
    assert response.status_code == 410 and "Remove my details" not in response.content.decode()
    assert client.post(link).status_code == 410
    assert len(PersonalRecord.objects.get().referees) == 2  # nothing removed through a revoked link


def test_a_referee_never_sees_a_name_the_applicant_corrected_later(client, applicant):
    link = _referee_link()
    assert "Amani Wekesa named you as a referee" in client.get(link).content.decode()
    subject = DataSubject.objects.get()
    record_update(subject=subject, actor=Actor.subject(subject), changes={"full_name": "Amani Otieno Wekesa"})
    page = client.get(link).content.decode()
    assert "Otieno" not in page and "Amani" not in page
    assert "The applicant named in the message we sent you named you as a referee" in page


def test_a_referees_link_works_as_long_as_a_private_link_and_then_expires(client, applicant, settings):
    link = _referee_link()
    sent = timezone.now()
    with time_machine.travel(sent + timedelta(days=settings.SELF_SERVICE_LINK_DAYS) - timedelta(hours=1)):
        assert "Remove my details from this application" in client.get(link).content.decode()
    with time_machine.travel(sent + timedelta(days=settings.SELF_SERVICE_LINK_DAYS) + timedelta(hours=1)):
        expired = client.get(link)
        assert expired.status_code == 410 and "Remove my details" not in expired.content.decode()


def test_one_persons_link_never_shows_another_persons_data(client, applicant, mailoutbox, admin_client):
    other = apply_for_link(client, mailoutbox, email="other@example.org", full_name="Other Person")
    assert "Other Person" not in client.get(applicant).content.decode()
    assert "Am••••••••sa" not in client.get(other).content.decode()
    # staff see masked data only in the admin
    subject = DataSubject.objects.order_by("created_at").first()
    admin_page = admin_client.get(f"/admin/subjects/datasubject/{subject.pk}/change/").content.decode()
    assert "Amani Wekesa" not in admin_page and "Am••••••••sa" in admin_page


def test_tokens_never_reach_the_log(client, applicant, caplog):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    with caplog.at_level("INFO"):
        assert strict.post(applicant + "delete/", {"confirm": "yes"}).status_code == 403
    token = applicant.split("/")[2]
    assert caplog.records, "the CSRF refusal is logged"
    # The handler the settings configure for the site's logs carries the redacting filter.
    console = next(h for h in logging.getLogger().handlers
                   if any(isinstance(f, RedactPrivateLinks) for f in h.filters))
    lines = [r for r in caplog.records if "/me/" in r.getMessage()]
    assert lines
    for record in lines:
        console.filter(record)
        assert token not in record.getMessage() and "/me/[token]/delete/" in record.getMessage()


def test_one_person_gets_a_limited_number_of_codes_whatever_their_address(client, applicant, mailoutbox, settings):
    settings.RATELIMIT_ENABLE = True
    for i in range(7):
        client.post(applicant + "code/", {"action": "send"}, REMOTE_ADDR=f"10.0.0.{i}")
    assert sum("code" in m.subject.lower() for m in mailoutbox) == 5


def test_someone_with_two_records_gets_a_link_to_each(client, applicant, mailoutbox):
    # An application and an enquiry from the same address are two records (applications share one).
    assert send_form(client, "/contact/", {"key": "6b7a4c1e-0d1a-4b36-9a53-0d8f5a1c0002", "full_name": "Amani Wekesa",
                                      "email": "amani.wekesa@example.org", "mobile": "", "message": "Any news?",
                                      "consent_enquiry-response": "on"}).status_code == 302
    mailoutbox.clear()
    client.post("/me/resend/", {"address": "amani.wekesa@example.org"})
    wait_for(lambda: not LinkRequest.objects.exists())  # the request row is gone once handled
    wait_for(lambda: not Notification.objects.filter(template="new_link").exclude(status="sent").exists())
    links = {LINK_RE.search(m.body).group(0) for m in mailoutbox}
    assert len(links) == 2
    assert not LinkRequest.objects.exists()  # the request row is gone once handled


@pytest.mark.parametrize("path", ["/me/AbC123tok/delete/", "/me/referee/AbC123tok/", "/privacy/choice/AbC123tok/",
                                  "/confirm/AbC123tok/"])
def test_every_kind_of_private_link_is_redacted_in_log_lines(path):
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, 'Forbidden: "GET %s HTTP/1.1" 403',
                               (path,), None)
    RedactPrivateLinks().filter(record)
    assert "AbC123tok" not in record.getMessage() and "[token]" in record.getMessage()


def test_a_new_mobile_number_ends_every_link_and_step_up_and_tells_the_old_number(client, applicant, mailoutbox,
                                                                                    settings):
    settings.SMS_BACKEND = "apps.notifications.backends.LocmemSmsBackend"
    other_browser = Client()
    step_up(other_browser, mailoutbox, applicant)  # someone holding the link and once a code
    step_up(client, mailoutbox, applicant)
    form = client.get(applicant + "correct/").context["form"]
    data = {name: (field.value() if not hasattr(field.value(), "as_e164") else field.value().as_e164)
            for name, field in ((n, form[n]) for n in form.fields if n not in FILES)}
    data["mobile"] = "+254700111222"
    page = client.post(applicant + "correct/", data).content.decode()
    assert "Your mobile number is changed" in page

    assert client.get(applicant).status_code == 410  # the old link, whoever holds it
    assert other_browser.get(applicant + "data/").status_code == 410
    new_link = "/" + LINK_RE.search(mailoutbox[-1].body).group(0).split("/", 3)[3]
    assert mailoutbox[-1].to == ["amani.wekesa@example.org"] and new_link != applicant
    assert other_browser.get(new_link + "data/").status_code == 302  # no step-up carried over to the new link
    told = Notification.objects.filter(template="mobile_changed_notice").get()
    assert told.recipient == "+254712345678" and told.channel == "sms"


def test_a_code_sent_before_the_links_were_signed_out_opens_nothing(client, applicant, mailoutbox):
    client.post(applicant + "code/", {"action": "send"})
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    assert client.post(applicant + "signout/").status_code in (200, 302)
    new_link = "/" + LINK_RE.search(mailoutbox[-1].body).group(0).split("/", 3)[3]
    assert new_link != applicant
    fresh = Client()
    response = fresh.post(new_link + "code/?next=data", {"action": "verify", "code": code})
    assert response.status_code != 302 or "/code/" in response["Location"]
    assert fresh.get(new_link + "data/").status_code == 302  # still asks for a code


@pytest.mark.django_db(transaction=True)  # the erasure's key destruction commits on its own
def test_a_link_met_between_the_keys_destruction_and_the_rows_deletion_says_erased(client, applicant, mailoutbox):
    subject = DataSubject.objects.get()
    with mock.patch.object(datamap, "rows_erase", side_effect=RuntimeError("worker killed")), \
            pytest.raises(RuntimeError):
        subject_erase_now(subject_id=subject.pk, reason="subject-request", actor=Actor.system("test"))
    assert DataSubject.objects.get().status == DataSubject.Status.ACTIVE  # the rows are still there
    for path in ("", "code/"):
        response = Client(raise_request_exception=False).get(applicant + path)
        assert response.status_code == 410 and "The data behind this link has been deleted" in \
            response.content.decode()
    request = link_request_create(address="amani.wekesa@example.org", language="en")
    assert link_request_process(request_id=request.pk) == 0  # no link, and no failed job


def test_a_correction_page_opened_before_a_referee_objected_changes_nothing(client, applicant, mailoutbox):
    step_up(client, mailoutbox, applicant)
    form = client.get(applicant + "correct/").context["form"]
    data = {n: (form[n].value().as_e164 if hasattr(form[n].value(), "as_e164") else form[n].value())
            for n in form.fields if n not in FILES}
    data["address"] = "Plot 12, Kenyatta Avenue, Nakuru"
    before = PersonalRecord.objects.get()
    first = before.referees[0]
    referee_remove(subject=before.subject, referee_id=first["id"])  # the first referee objects meanwhile
    response = client.post(applicant + "correct/", data)
    assert response.status_code == 400 and "This page is out of date" in response.content.decode()
    after = PersonalRecord.objects.get()
    assert [r["id"] for r in after.referees] == [before.referees[1]["id"]]
    assert after.referees[0]["name"] == before.referees[1]["name"] and after.address == before.address
