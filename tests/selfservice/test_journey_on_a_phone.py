"""What a person on a phone meets behind their private link and on the public pages: where the step-up
code goes, giving a withdrawn consent again, phone numbers in one format, ID types in words, referees in
their own groups, the cookie page, the language switch in the header and "Your data" explained."""

import io
import json
import re
import zipfile

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from apps.consent.models import ConsentRecord
from apps.core.phones import phone_format
from tests.consent.helpers import application_post, send_form
from tests.factories import SubjectFactory
from tests.selfservice.helpers import apply_for_link, step_up

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def applicant(client, mailoutbox, demo_purposes):
    return apply_for_link(client, mailoutbox, **{"consent_marketing": "on"})


def test_the_step_up_page_says_where_the_code_goes(client, applicant, mailoutbox):
    page = client.get(applicant + "code/").content.decode()
    assert "Email to a•••@example.org" in page and "SMS to +254 7•• ••• •78" in page
    assert "amani.wekesa@example.org" not in page and "712 345 678" not in page
    response = client.post(applicant + "code/", {"action": "send", "channel": "sms"}, follow=True)
    assert "We have sent a 6-digit code to +254 7•• ••• •78. It is valid for 10 minutes." in response.content.decode()
    response = client.post(applicant + "code/", {"action": "send", "channel": "email"}, follow=True)
    assert "We have sent a 6-digit code to a•••@example.org." in response.content.decode()
    assert mailoutbox[-1].to == ["amani.wekesa@example.org"]


def test_a_withdrawn_optional_consent_can_be_given_again_with_a_new_receipt(client, applicant, mailoutbox):
    assert client.post(applicant + "withdraw/marketing/", {"confirm": "yes"}).status_code == 302
    home = client.get(applicant).content.decode()
    assert "Give consent again: News about new jobs" in home
    # A forwarded link alone gives no consent in the person's name: the code comes first.
    refused = client.post(applicant + "give/marketing/", {"confirm": "yes", "notice": "1"})
    assert refused.status_code == 302 and refused["Location"] == applicant + "code/?next=home"
    assert ConsentRecord.objects.filter(purpose__slug="marketing").count() == 2
    step_up(client, mailoutbox, applicant)
    page = client.get(applicant + "give/marketing/").content.decode()
    assert "Occasional emails about new jobs" in page  # the words agreed to, shown before agreeing
    notice = re.search(r'name="notice" value="(\d+)"', page).group(1)
    response = client.post(applicant + "give/marketing/", {"confirm": "yes", "notice": notice}, follow=True)
    assert "Your consent is given again: News about new jobs." in response.content.decode()
    receipts = list(ConsentRecord.objects.filter(purpose__slug="marketing").order_by("created_at"))
    assert [r.action for r in receipts] == ["given", "withdrawn", "given"]
    assert str(receipts[-1].notice_id) == notice and receipts[-1].source == ConsentRecord.Source.SELF_SERVICE
    assert "Withdraw consent: News about new jobs" in response.content.decode()
    # Once given, giving again changes nothing; a consent the service needs is not offered here.
    client.post(applicant + "give/marketing/", {"confirm": "yes", "notice": notice})
    assert ConsentRecord.objects.filter(purpose__slug="marketing").count() == 3
    assert client.get(applicant + "give/recruitment/").status_code == 404


def test_phone_numbers_read_the_same_everywhere(client, applicant, mailoutbox, staff_client, django_user_model):
    assert "+2••••••••78" not in client.get(applicant).content.decode()
    assert "+254 7•• ••• •78" in client.get(applicant).content.decode()
    step_up(client, mailoutbox, applicant)
    data = client.get(applicant + "data/").content.decode()
    assert '<td id="v-mobile">+254 712 345 678</td>' in data
    assert "+254 722 111 222" in data and "+254 733 444 555" in data and "+254722111222" not in data
    correct = client.get(applicant + "correct/").content.decode()
    assert 'value="+254 712 345 678"' in correct and 'value="+254 722 111 222"' in correct
    # Staff see them masked the same way.
    user = django_user_model.objects.create_user("support", password="x" * 16, is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_datasubject"))
    people = staff_client(user).get("/admin/subjects/datasubject/").content.decode()
    assert "+254 7•• ••• •78" in people


def test_phone_hints_and_errors_give_kenyan_mobile_examples(client, demo_purposes):
    page = client.get("/apply/").content.decode() + client.get("/contact/").content.decode()
    assert "0712 345 678" in page and "0722 123 456" in page
    body = send_form(client, "/apply/", application_post(mobile="12")).content.decode()
    assert "Enter a valid phone number, for example 0712 345 678 or +254 712 345 678." in body
    assert not re.search(r"\b020\b|\(0\)20|\+254 20", page + body)  # no Nairobi landline as an example


def test_the_format_groups_kenyan_mobiles_in_threes_and_leaves_others_to_libphonenumber():
    assert phone_format("0712345678") == phone_format("+254712345678") == "+254 712 345 678"
    assert phone_format("+442079460000") == "+44 20 7946 0000"
    assert phone_format("") == "" and phone_format("not a number") == "not a number"


def test_id_types_read_as_words(client, applicant, mailoutbox, settings):
    step_up(client, mailoutbox, applicant)
    data = client.get(applicant + "data/").content.decode()
    assert "National ID card 27654321" in data and "national-id" not in data
    archive = zipfile.ZipFile(io.BytesIO(client.get(applicant + "export/").content))
    export = json.loads(archive.read("my-data/my-data.json"))
    assert export["data"]["record"]["rows"][0]["legal_id_type_name"] == "National ID card"
    assert "National ID card" in archive.read("my-data/my-data.html").decode()
    client.post("/i18n/setlang/", {"language": "sw", "next": "/"})
    assert "Kitambulisho cha taifa" in client.get(applicant + "data/").content.decode()


def test_your_data_explains_the_private_link_before_offering_a_new_one(client, demo_purposes):
    home = client.get("/").content.decode()
    assert re.search(r'<a href="/me/resend/">Your data</a>', home)
    page = client.get("/me/resend/").content.decode()
    explained = page.index("we email you a private link")
    assert explained < page.index("Get a new private link</h2>") < page.index('name="address"')


def test_the_cookie_page_offers_no_empty_category_and_shows_no_version_hash(client, demo_purposes):
    from io import StringIO

    from apps.cookies.seed import seed_demo
    from apps.cookies.selectors import declaration_version

    seed_demo(StringIO())
    page = client.get("/cookies/").content.decode()
    assert 'value="analytics"' in page and 'value="marketing"' in page
    assert 'value="preferences"' not in page  # no cookie in it: nothing to choose
    assert declaration_version() not in page and "Declaration version" not in page
    client.post("/cookies/save/", {"action": "reject_all", "next": "/cookies/"})
    page = client.get("/cookies/").content.decode()
    dates = re.findall(r"You made your choice on (.+?)\. We will ask again on (.+?), or sooner", page)[0]
    from django.utils import formats, timezone

    assert dates[0] == formats.date_format(timezone.localdate(), "DATE_FORMAT")  # the site's day, not UTC's
    assert re.fullmatch(r"\d{1,2} [A-Z][a-z]+ \d{4}", dates[1])  # the same format: day month year, as Kenya writes


def test_on_a_phone_the_correction_form_groups_referees_and_the_header_switches_language(
        page, live_server, demo_purposes, mailoutbox, client, settings):
    settings.SITE_URL = live_server.url
    link = apply_for_link(client, mailoutbox, referee_1_relationship="Former supervisor at work")
    step_up(client, mailoutbox, link)
    page.context.add_cookies([{"name": c.key, "value": c.value, "url": live_server.url}
                              for c in client.cookies.values()])
    page.set_viewport_size({"width": 360, "height": 700})
    page.goto(link + "correct/")
    for legend, name in [("First referee", "Jane Muthoni"), ("Second referee", "Peter Odhiambo")]:
        group = page.get_by_role("group", name=legend)
        expect(group.get_by_label("Name")).to_have_value(name)
        expect(group.get_by_label("Phone number")).to_have_value(re.compile(r"^\+254 7\d\d \d{3} \d{3}$"))
    # Each input shows its whole value: none is narrower than what it holds.
    clipped = page.eval_on_selector_all(
        "main input[type=text], main input[type=email]",
        "els => els.filter(e => e.scrollWidth > e.clientWidth).map(e => e.name)")
    assert clipped == []
    # The language switch is in the header, not only in the footer.
    page.get_by_role("banner").get_by_role("button", name=re.compile("^Kiswahili")).click()
    expect(page.locator("html")).to_have_attribute("lang", "sw")
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Correct your data")
    page.get_by_role("banner").get_by_role("button", name=re.compile("^English")).click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_subject_factory_numbers_mask_alike(db):
    from apps.subjects.masking import mask
    from apps.subjects.models import PersonalRecord

    record = PersonalRecord.objects.get(subject=SubjectFactory(mobile="+254712345678"))
    assert mask(record.mobile) == "+254 7•• ••• •78"
