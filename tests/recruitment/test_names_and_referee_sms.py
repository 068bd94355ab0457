"""Names are names, and our forms cannot be used to send text of an attacker's choosing by SMS."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.consent.models import RefereeNotice
from apps.notifications import backends as sms_backends
from apps.recruitment.forms import ContactForm
from apps.recruitment.tasks import referee_notices_expire_task
from apps.subjects.models import DataSubject, PersonalRecord
from tests.consent.helpers import application_post, send_form

pytestmark = pytest.mark.django_db(transaction=True)

REFEREES = {"+254722111222", "+254733444555"}


@pytest.fixture
def sms(settings) -> list:
    settings.SMS_BACKEND = "apps.notifications.backends.LocmemSmsBackend"
    sms_backends.outbox.clear()
    return sms_backends.outbox


@pytest.mark.parametrize("name", ["Amani Wekesa", "Zoë N'Dour-Wanjiru", "José Ñúñez", "Ng’ang’a Kamau", "Li",
                                  "Мария Иванова", "Amani Wekesa Njeri Otieno Kamau", "प्रिया शर्मा"])
def test_real_names_with_accents_hyphens_and_apostrophes_are_accepted(name):
    form = ContactForm({"full_name": name, "email": "a@example.org", "message": "Hi"}, purposes=[])
    form.is_valid()
    assert "full_name" not in form.errors and form.cleaned_data["full_name"] == name


@pytest.mark.parametrize("name", [
    "Amani\nURGENT: your M-Pesa is locked, verify at http://evil.example/k",
    "Amani evil.example/k", "Call 0712345678", "A", "x" * 101, "Amani\r\nWekesa", "Amani  -  Wekesa", "<b>Amani</b>",
])
def test_anything_but_a_name_is_refused_with_a_clear_message(client, demo_purposes, sms, name):
    response = send_form(client, "/apply/", application_post(full_name=name))
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a name" in body
    assert DataSubject.objects.count() == 0 and sms == []


@pytest.mark.parametrize(("name", "says"), [
    ("Amani\u3164Wekesa", "Enter a name using letters only"),  # a Hangul filler: a letter that shows nothing
    ("Amani\u200bWekesa", "Enter a name using letters only"),  # a zero-width space
    ("Аmani Wekesa", "one alphabet"),  # the first letter is Cyrillic
    ("Safaricom Support Reply With Your Mpesa PIN", "at most 5 words"),
    ("Safaricom-Support-Reply-With-Your-Mpesa-PIN-To-Claim-Prize-Now", "at most 5 words"),
    ("Reply'With'Your'Mpesa'PIN'Now'To'Safaricom", "at most 5 words"),
    ("mpesa\u02d0safaricom", "Enter a name using letters only"),  # a modifier letter that looks like a colon
    ("www\u02ccsafaricom", "Enter a name using letters only"),
])
def test_invisible_letters_look_alike_alphabets_and_sentences_are_refused(client, demo_purposes, sms, name, says):
    response = send_form(client, "/apply/", application_post(referee_1_name=name))
    assert response.status_code == 400 and says in response.content.decode()
    assert DataSubject.objects.count() == 0 and sms == []


def test_a_referee_name_is_validated_too(client, demo_purposes, sms):
    response = send_form(client, "/apply/", application_post(referee_1_name="Jane http://evil.example"))
    assert response.status_code == 400 and DataSubject.objects.count() == 0


def test_the_referee_sms_holds_no_applicant_text_but_the_validated_name(client, demo_purposes, sms):
    response = send_form(client, "/apply/", application_post(
        referee_1_relationship="URGENT verify at http://evil.example/k", address="http://evil.example/a"))
    assert response.status_code == 302
    to_referees = [m for m in sms if m.to in REFEREES]
    assert len(to_referees) == 2
    for message in to_referees:
        assert "Amani Wekesa named you as a job referee" in message.text
        assert "evil" not in message.text and "URGENT" not in message.text
        assert message.text.count("http") == 1  # our own link to object, nothing else


def test_a_phone_number_gets_at_most_one_referee_message_in_30_days(client, demo_purposes, sms):
    send_form(client, "/apply/", application_post())
    send_form(client, "/apply/", application_post(full_name="Baraka Otieno", email="baraka@example.org",
                                            mobile="0711 000 111"))
    assert sorted(m.to for m in sms if m.to in REFEREES) == sorted(REFEREES)  # once each, not twice
    assert PersonalRecord.objects.count() == 2  # the second application is kept all the same

    with time_machine.travel(timezone.now() + timedelta(days=31)):
        send_form(client, "/apply/", application_post(full_name="Chebet Kiprop", email="chebet@example.org",
                                                mobile="0711 000 222"))
    assert sorted(m.to for m in sms if m.to in REFEREES) == sorted(list(REFEREES) * 2)


def test_numbers_told_are_forgotten_after_the_interval(client, demo_purposes, sms):
    send_form(client, "/apply/", application_post())
    assert RefereeNotice.objects.count() == 2
    assert all("722111222" not in n.phone_digest for n in RefereeNotice.objects.all())  # a keyed hash only
    assert referee_notices_expire_task() == 0
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert referee_notices_expire_task() == 2
