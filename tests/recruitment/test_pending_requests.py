"""A public form that matches a person we already know changes nothing until that person confirms it from
the address we hold (the reviewer's three scenarios, and what the confirmation link promises)."""

import json
import re
import uuid
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.utils import timezone, translation

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.consent.models import ConsentRecord, PendingRequest, Purpose, Submission
from apps.consent.selectors import consents_current_for
from apps.consent.services import CollectionContext, consent_withdraw
from apps.notifications.models import Notification
from apps.notifications.rendering import render_message
from apps.policies.models import DisclosureChoice
from apps.recruitment.intake import PendingOutcome, pending_request_confirm, pending_requests_expire, submission_receive
from apps.selfservice.services import link_request_create, link_request_process
from apps.staff.services import person_add_by_staff
from apps.subjects.links import LinkProblem, link_resolve
from apps.subjects.models import DataSubject, ErasureJob, IdentityDocument, PersonalRecord, ServiceEngagement
from apps.subjects.services import engagements_complete, subject_erase, subject_export
from tests.consent.helpers import application_post
from tests.factories import PDF_BYTES, VacancyFactory
from tests.policies.helpers import HIRING, TALENT_POOL, publish
from tests.recruitment.test_application_intake import _data

pytestmark = pytest.mark.django_db
CONTEXT = CollectionContext(collection_point="apply-form", form_version="t", source=ConsentRecord.Source.WEB_FORM,
                            ip="203.0.113.9", user_agent="Mozilla/5.0 (X11; Linux x86_64) Firefox/130.0")
ALL = ["recruitment", "share-with-employer", "marketing"]


def _apply(vacancy, slugs=("recruitment", "share-with-employer"), **overrides):
    return submission_receive(key=uuid.uuid4(), kind="apply", data=_data(**overrides),
                              purposes=list(Purpose.objects.filter(slug__in=slugs)), context=CONTEXT,
                              document=PDF_BYTES, vacancy=vacancy)


def confirm_link(subject: DataSubject) -> str:
    """The token in the newest "was it you?" email to this person."""
    email = Notification.objects.filter(subject=subject, template="pending_confirm").order_by("created_at").last()
    return email.context["link"].rstrip("/").rsplit("/", 1)[1]


def test_a_strangers_application_changes_nothing_until_the_person_confirms_from_the_held_address(demo_purposes):
    first = VacancyFactory()
    person = _apply(first, ALL).submission.subject
    consent_withdraw(subject=person, purpose=Purpose.objects.get(slug="marketing"), context=CONTEXT)
    receipts_before = ConsentRecord.objects.filter(subject=person).count()
    Notification.objects.all().delete()

    other = VacancyFactory()  # another client company's job
    received = _apply(other, ALL, full_name="Mallory", mobile="+254799000111", address="Box 9, Mombasa",
                      referees=[{"name": "Eve", "phone": "+254799000222", "relationship": "Friend"}])
    assert received.submission.subject == person
    # Nothing about the person changed: no application to the other company, no consent, no detail.
    assert list(ServiceEngagement.objects.filter(subject=person).values_list("vacancy", flat=True)) == [first.pk]
    assert ConsentRecord.objects.filter(subject=person).count() == receipts_before
    assert consents_current_for(subject=person)["marketing"].action == "withdrawn"
    assert PersonalRecord.objects.get(subject=person).address == "P.O. Box 100-00200, Nairobi"
    # One message: to the address we hold, by the name we hold; nothing to the numbers the form gave.
    sent = list(Notification.objects.filter(subject=person))
    assert [(n.channel, n.template, n.recipient) for n in sent] == [
        ("email", "pending_confirm", "amani.wekesa@example.org")]
    assert sent[0].context["full_name"] == "Amani Wekesa" and sent[0].context["vacancy"] == other.title
    assert AuditEvent.objects.filter(verb="pending_request.held", target=str(person.pk)).exists()

    # Completing the real application erases the person: the stranger's form is not a service.
    engagements_complete(engagement_ids=[ServiceEngagement.objects.get(subject=person).pk], actor=Actor.system("t"))
    assert ErasureJob.objects.filter(subject=person).exists()


def test_the_owner_confirms_and_the_form_applies_once(demo_purposes):
    first, other = VacancyFactory(), VacancyFactory()
    person = _apply(first, ALL).submission.subject
    consent_withdraw(subject=person, purpose=Purpose.objects.get(slug="marketing"), context=CONTEXT)
    _apply(other, ALL)
    token = confirm_link(person)

    assert pending_request_confirm(token=token) == PendingOutcome.CONFIRMED
    assert {e.vacancy for e in ServiceEngagement.objects.filter(subject=person, status="open")} == {first, other}
    assert consents_current_for(subject=person)["marketing"].action == "given"  # given again, by the owner
    receipts = ConsentRecord.objects.filter(subject=person).count()
    assert not PendingRequest.objects.exists()
    assert AuditEvent.objects.filter(verb="pending_request.confirmed", target=str(person.pk)).exists()
    confirmation = Notification.objects.filter(subject=person, template="confirmation", channel="email").latest(
        "created_at")
    assert confirmation.recipient == "amani.wekesa@example.org" and confirmation.context["vacancy"] == other.title

    # The same link again: nothing more happens.
    assert pending_request_confirm(token=token) == PendingOutcome.GONE
    assert ServiceEngagement.objects.filter(subject=person).count() == 2
    assert ConsentRecord.objects.filter(subject=person).count() == receipts


def test_the_sent_page_is_the_same_for_a_known_and_an_unknown_email(client, demo_purposes):
    def sent_page(email: str, **overrides) -> str:
        browser = Client()
        assert browser.post("/apply/", application_post(email=email, **overrides)).status_code == 302
        page = browser.get("/sent/").content.decode()
        return re.sub(r'(csrfmiddlewaretoken" value|nonce)="[^"]*"', "", page)

    Client().post("/apply/", application_post(email="amani.wekesa@example.org"))  # the real person, earlier
    known = sent_page("amani.wekesa@example.org", full_name="Mallory Stranger")
    unknown = sent_page("nobody.here@example.org", full_name="Mallory Stranger")
    assert known == unknown
    assert "What we stored (encrypted)" in known and "Check your email" in known


def test_a_person_added_after_a_phone_call_who_applies_gets_the_missing_details_once_they_confirm(
        demo_purposes, django_user_model):
    staff = django_user_model.objects.create_user("r", password="x" * 16, is_staff=True)
    purposes = list(Purpose.objects.filter(slug__in=["recruitment", "share-with-employer"]))
    person = person_add_by_staff(staff_user=staff, key=uuid.uuid4(), kind="apply",
                                 data={"full_name": "Amani Wekesa", "email": "amani.wekesa@example.org",
                                       "mobile": None, "address": "", "message": ""},
                                 purposes=purposes, channel="phone", consented_at=timezone.now() - timedelta(hours=1),
                                 language="en").submission.subject
    vacancy = VacancyFactory()
    assert _apply(vacancy).submission.subject == person
    assert PersonalRecord.objects.get(subject=person).legal_id_number == ""  # nothing yet

    assert pending_request_confirm(token=confirm_link(person)) == PendingOutcome.CONFIRMED
    record = PersonalRecord.objects.get(subject=person)
    assert record.address == "P.O. Box 100-00200, Nairobi"
    assert (record.legal_id_type, record.legal_id_number) == ("national-id", "27654321")
    assert [r["name"] for r in record.referees] == ["Jane Muthoni", "Peter Odhiambo"]
    assert record.mobile is None  # a number comes only through the person's own link
    assert IdentityDocument.objects.filter(subject=person, kind="id-scan").count() == 1
    confirmation = Notification.objects.filter(subject=person, template="confirmation", channel="email").latest(
        "created_at")
    assert confirmation.context["fields"] == ["Full name", "Email address", "Address", "Legal ID type and number",
                                              "Two referees", "Your work experience", "ID document"]
    # The referees are told, as for any new applicant.
    told = [n.recipient for n in Notification.objects.filter(subject=person, template="referee_notice")]
    assert sorted(told) == ["+254722111222", "+254733444555"]


def test_a_confirmation_never_replaces_what_we_hold(demo_purposes):
    person = _apply(VacancyFactory()).submission.subject
    _apply(VacancyFactory(), address="Box 9, Mombasa", legal_id_number="11111111", mobile="+254799000111",
           referees=[{"name": "Eve", "phone": "+254799000222", "relationship": "Friend"}])
    assert pending_request_confirm(token=confirm_link(person)) == PendingOutcome.CONFIRMED
    record = PersonalRecord.objects.get(subject=person)
    assert (record.address, record.legal_id_number) == ("P.O. Box 100-00200, Nairobi", "27654321")
    # The number held is not on the form the owner confirmed: either number could be a stranger's, so the
    # record keeps neither (the person adds theirs through their private link).
    assert record.mobile is None
    assert [r["name"] for r in record.referees] == ["Jane Muthoni", "Peter Odhiambo"]
    assert "+254799000222" not in [n.recipient for n in Notification.objects.all()]


def test_an_unconfirmed_request_is_erased_after_the_waiting_period(demo_purposes, settings):
    person = _apply(VacancyFactory()).submission.subject
    key = _apply(VacancyFactory(), cv=None).submission.key
    token = confirm_link(person)
    assert pending_requests_expire() == 0  # not yet
    with time_machine.travel(timezone.now() + timedelta(days=settings.PENDING_REQUEST_DAYS, hours=1)):
        assert pending_requests_expire() == 1
        assert pending_request_confirm(token=token) == PendingOutcome.EXPIRED
    assert not PendingRequest.objects.exists()
    assert not Submission.objects.filter(pk=key).exists()
    assert pending_request_confirm(token=token) == PendingOutcome.GONE
    assert ServiceEngagement.objects.filter(subject=person).count() == 1
    event = AuditEvent.objects.get(verb="pending_request.expired")
    assert event.target == str(person.pk) and set(event.detail) == {"request"}


def test_the_person_can_say_it_was_not_them(demo_purposes):
    person = _apply(VacancyFactory()).submission.subject
    _apply(VacancyFactory(), ALL)
    token = confirm_link(person)
    assert pending_request_confirm(token=token, discard=True) == PendingOutcome.DISCARDED
    assert not PendingRequest.objects.exists()
    assert ServiceEngagement.objects.filter(subject=person).count() == 1
    assert pending_request_confirm(token=token) == PendingOutcome.GONE


def test_erasing_the_person_erases_their_pending_request(demo_purposes):
    person = _apply(VacancyFactory()).submission.subject
    _apply(VacancyFactory())
    token = confirm_link(person)
    certificate = subject_erase(subject=person, reason="subject-request")
    assert not PendingRequest.objects.exists()
    assert "government-id" in certificate.categories
    assert pending_request_confirm(token=token) == PendingOutcome.GONE


def test_a_tampered_link_is_refused(demo_purposes):
    person = _apply(VacancyFactory()).submission.subject
    _apply(VacancyFactory())
    token = confirm_link(person)
    assert pending_request_confirm(token=token[:-2] + ("AA" if token[-2:] != "AA" else "BB")) == "invalid"
    assert PendingRequest.objects.count() == 1


def test_opening_the_link_changes_nothing_and_the_button_confirms(client, demo_purposes):
    person = _apply(VacancyFactory()).submission.subject
    other = VacancyFactory()
    _apply(other)
    url = f"/confirm/{confirm_link(person)}/"
    page = client.get(url)
    assert page.status_code == 200 and other.title in page.content.decode()
    assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "same-origin"
    assert "Mallory" not in page.content.decode() and "27654321" not in page.content.decode()
    assert PendingRequest.objects.count() == 1 and ServiceEngagement.objects.filter(subject=person).count() == 1
    answer = client.post(url, {"choice": "confirm"})
    assert answer.status_code == 200 and "it is confirmed" in answer.content.decode()
    assert ServiceEngagement.objects.filter(subject=person).count() == 2
    assert client.post(url, {"choice": "confirm"}).status_code == 410
    assert client.get("/confirm/not-a-token/").status_code == 404


def test_the_person_is_asked_in_their_own_language(demo_purposes):
    swahili = CollectionContext(collection_point="apply-form", form_version="t", source="web-form", language="sw")
    person = submission_receive(key=uuid.uuid4(), kind="apply", data=_data(),
                                purposes=list(Purpose.objects.filter(slug__in=["recruitment", "share-with-employer"])),
                                context=swahili, document=PDF_BYTES, vacancy=VacancyFactory()).submission.subject
    _apply(VacancyFactory())  # sent from an English page
    asked = Notification.objects.get(subject=person, template="pending_confirm")
    assert asked.language == "sw"
    with translation.override("sw"):
        subject_line, text, _html = render_message("pending_confirm", asked.context)
    assert "Je, ulituma fomu" in subject_line and "Mtu fulani alitumia anwani yako" in text


def test_an_application_never_joins_a_record_made_by_the_contact_form(demo_purposes, mailoutbox, settings):
    """Anyone can write to us with another's address and their own mobile number: the person's later
    application starts a record of its own, so its private link never goes to that number."""
    settings.SMS_BACKEND = "apps.notifications.backends.LocmemSmsBackend"
    stranger = submission_receive(
        key=uuid.uuid4(), kind="contact", purposes=list(Purpose.objects.filter(slug="enquiry-response")),
        context=CONTEXT,
        data={"full_name": "Not Amani", "email": "amani.wekesa@example.org", "mobile": "+254799000111",
              "message": "Hello"}).submission.subject
    applied = _apply(VacancyFactory()).submission.subject
    assert applied.pk != stranger.pk and not PendingRequest.objects.exists()
    sms_to = {n.recipient for n in Notification.objects.filter(subject=applied, channel="sms")}
    assert "+254799000111" not in sms_to and "+254712345678" in sms_to


def test_a_strangers_mobile_on_a_record_made_first_is_removed_when_the_owner_confirms(demo_purposes):
    # Mallory applies first with Amani's email and her own number: the record is hers to reach by SMS.
    first, other = VacancyFactory(), VacancyFactory()
    person = _apply(first, full_name="Mallory", mobile="+254799000111").submission.subject
    sms = Notification.objects.get(subject=person, channel="sms", template="confirmation")
    strangers_link = sms.context["link"].rstrip("/").rsplit("/", 1)[1]
    assert link_resolve(strangers_link).subject == person

    # Amani applies with her own number and confirms from her mailbox.
    _apply(other, mobile="+254712345678")
    assert pending_request_confirm(token=confirm_link(person)) == PendingOutcome.CONFIRMED

    assert PersonalRecord.objects.get(subject=person).mobile is None
    assert link_resolve(strangers_link).problem == LinkProblem.REVOKED
    request = link_request_create(address="+254799000111", language="en")  # Mallory asks for a link by SMS
    assert link_request_process(request_id=request.pk) == 0
    assert not Notification.objects.filter(template="new_link").exists()
    assert AuditEvent.objects.filter(verb="links.revoked", target=str(person.pk)).exists()


def test_the_confirmation_says_the_mobile_was_removed_and_its_link_works(demo_purposes):
    first, other = VacancyFactory(), VacancyFactory()
    person = _apply(first, full_name="Mallory", mobile="+254799000111").submission.subject
    _apply(other, mobile="+254712345678")
    pending_request_confirm(token=confirm_link(person))

    confirmation = Notification.objects.filter(subject=person, template="confirmation", channel="email").latest(
        "created_at")
    _, text, html = render_message("confirmation", confirmation.context)
    assert "We removed the mobile number we held for you" in text and "We removed the mobile number" in html
    assert "Mobile number" not in text.split("What we hold")[1].split("Why we hold it")[0]
    token = confirmation.context["link"].rstrip("/").rsplit("/", 1)[1]
    assert link_resolve(token).subject == person and link_resolve(token).problem is None
    with translation.override("sw"):
        assert "Tumeondoa nambari ya simu" in render_message("confirmation", confirmation.context)[1]


def test_the_owners_own_mobile_stays_when_their_confirmed_form_gives_it(demo_purposes):
    first, other = VacancyFactory(), VacancyFactory()
    person = _apply(first).submission.subject
    link = Notification.objects.get(subject=person, channel="sms", template="confirmation").context["link"]
    _apply(other)  # the same number again
    pending_request_confirm(token=confirm_link(person))

    assert PersonalRecord.objects.get(subject=person).mobile.as_e164 == "+254712345678"
    assert link_resolve(link.rstrip("/").rsplit("/", 1)[1]).subject == person  # nothing revoked
    confirmation = Notification.objects.filter(subject=person, template="confirmation", channel="email").latest(
        "created_at")
    assert "We removed the mobile number" not in render_message("confirmation", confirmation.context)[1]


def test_forms_sent_with_a_persons_address_email_them_at_most_a_few_times_while_they_wait(demo_purposes, settings):
    settings.PENDING_REQUESTS_WAITING_MAX = 3
    person = _apply(VacancyFactory()).submission.subject
    Notification.objects.all().delete()
    received = [_apply(VacancyFactory(), full_name="Mallory") for _ in range(5)]

    assert PendingRequest.objects.filter(subject=person).count() == 3
    assert Notification.objects.filter(subject=person, template="pending_confirm").count() == 3
    assert all(r.created and r.submission.subject == person for r in received)  # the visitor sees the same
    assert AuditEvent.objects.filter(verb="pending_request.discarded", target=str(person.pk),
                                     detail__why="too-many-waiting").count() == 2
    # Once the person has answered one, the next form is held and they are asked again.
    assert pending_request_confirm(token=confirm_link(person), discard=True) == PendingOutcome.DISCARDED
    _apply(VacancyFactory())
    assert PendingRequest.objects.filter(subject=person).count() == 3
    assert Notification.objects.filter(subject=person, template="pending_confirm").count() == 4


def test_opt_in_links_sent_to_a_removed_number_stop_working_and_the_number_leaves_the_messages(
        demo_purposes, django_capture_on_commit_callbacks):
    first, other = VacancyFactory(), VacancyFactory()
    person = _apply(first, full_name="Mallory", mobile="+254799000111").submission.subject
    with django_capture_on_commit_callbacks(execute=True):
        publish(summary="Talent pool.", disclosures=[HIRING, TALENT_POOL])
    sms = Notification.objects.get(subject=person, channel="sms", template="policy_changed")
    opt_in = sms.context["disclosures"][0]["choice_url"]
    assert not sms.context["disclosures"][0]["compatible"]  # an opt-in link, in Mallory's SMS

    _apply(other, mobile="+254712345678")
    pending_request_confirm(token=confirm_link(person))

    refused = Client().post(opt_in.removeprefix(settings.SITE_URL))
    assert refused.status_code == 404 and not DisclosureChoice.objects.filter(subject=person).exists()
    assert [n.recipient for n in Notification.objects.filter(subject=person, channel="sms")
            if n.recipient == "+254799000111"] == []  # the messages to it are gone with it
    export = json.dumps(subject_export(subject=person, actor=Actor.subject(person)), default=str)
    assert "+254799000111" not in export and "799000111" not in export


def _exported_submissions(person: DataSubject) -> list[dict]:
    return subject_export(subject=person, actor=Actor.subject(person))["data"]["submissions"]["rows"]


def test_the_export_does_not_call_what_a_stranger_ticked_the_persons_agreement(demo_purposes):
    person = _apply(VacancyFactory()).submission.subject
    _apply(VacancyFactory(), ALL, full_name="Mallory")  # waits for the person's confirmation
    submissions = _exported_submissions(person)
    agreed = [s for s in submissions if "purposes_agreed" in s]
    ticked = [s for s in submissions if s.get("applied") is False]
    assert [s["purposes_agreed"] for s in agreed] == [["recruitment", "share-with-employer"]]
    assert [s["purposes_ticked_by_the_sender"] for s in ticked] == [ALL]

    pending_request_confirm(token=confirm_link(person))  # the person confirms: now it is theirs
    submissions = _exported_submissions(person)
    assert all("purposes_agreed" in s for s in submissions) and len(submissions) == 2


def test_the_confirmation_page_shows_the_forms_number_ending_and_warns_before_removing_the_held_one(
        client, demo_purposes):
    person = _apply(VacancyFactory(), full_name="Mallory", mobile="+254799000111").submission.subject
    _apply(VacancyFactory(), mobile="+254712345678")
    page = client.get(f"/confirm/{confirm_link(person)}/").content.decode()
    assert "The mobile number on the form ends in 678." in page
    assert "we remove the mobile number we hold for you (it ends in 111)" in page
    assert "799000111" not in page and "712345678" not in page

    same = _apply(VacancyFactory(), mobile="+254799000111")
    assert same.submission.subject == person
    page = client.get(f"/confirm/{confirm_link(person)}/").content.decode()
    assert "ends in 111." in page and "we remove the mobile number" not in page
