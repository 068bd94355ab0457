"""A form sent with mistakes comes back with the focus on a summary at the top that names each wrong field
and links to it; a file chosen before is not silently dropped: an accepted one is kept and the field says so, one
that was not must be attached again and the field and the summary say so. The summary is the same include for
every form (apps/core/forms.py), so any field a form gains is in it."""

import re

import pytest
from django import forms
from playwright.sync_api import expect

from apps.core.forms import error_summary
from tests.consent.helpers import fill_application, open_vacancy
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_mistake_focuses_a_summary_that_links_to_the_field_and_keeps_the_file(
        page, live_server, demo_purposes, tmp_path):
    scan = tmp_path / "id-scan.pdf"
    scan.write_bytes(PDF_BYTES)
    page.set_viewport_size({"width": 360, "height": 700})
    page.goto(f"/apply/?vacancy={open_vacancy()}")
    fill_application(page, scan=scan, mobile="020 222 3333 44")  # a mistake
    page.get_by_role("button", name="Send my application").click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert summary.evaluate("s => s.getBoundingClientRect().top >= 0 && s.getBoundingClientRect().top < 700")
    mobile_link = summary.get_by_role("link", name=re.compile(r"^Mobile number: Enter a valid phone number"))
    assert mobile_link.get_attribute("href") == "#id_mobile"
    assert summary.get_by_role("link").count() == 1  # nothing else was wrong: the scan was accepted and kept
    # The field says it is kept, and a screen reader hears it with the field; nothing is asked again.
    file_input = page.get_by_label("Scan or photo of your ID")
    expect(file_input).to_have_accessible_description(re.compile("Kept: id-scan.pdf. You need not attach it again"))
    assert file_input.evaluate("i => i.files.length") == 0

    mobile_link.click()
    expect(page.get_by_label("Mobile number")).to_be_focused()
    page.get_by_label("Mobile number").fill("0712 345 678")
    page.get_by_role("button", name="Send my application").click()
    expect(page.get_by_role("heading", name="One more step: type the code we emailed you")).to_be_visible()
    # The code page's mistakes are summarised the same way.
    page.get_by_label("The 6-digit code from the email").fill("12")
    page.get_by_role("button", name="Confirm", exact=True).click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile("Type the 6 digits")).click()
    expect(page.get_by_label("The 6-digit code from the email")).to_be_focused()


def test_every_form_on_the_site_has_the_same_summary(page, live_server, demo_purposes):
    for path, button, field in [("/contact/", "Send my message", "#id_full_name"),
                                ("/me/resend/", "Send me a new link", "#id_address"),
                                ("/verify/", "Check it", "")]:
        page.goto(path)
        page.get_by_role("button", name=button).click()
        summary = page.get_by_role("alert")
        expect(summary).to_be_focused()
        if field:
            assert summary.locator(f"a[href='{field}']").count() == 1, path


class _Later(forms.Form):
    """A form with fields added later (as a vacancy's CV): the summary needs no change for them."""

    name = forms.CharField(label="Name")
    cv = forms.FileField(label="Your CV", required=False)
    experience = forms.CharField(label="Experience")


def test_the_summary_lists_any_form_s_fields_in_order_and_each_file_to_attach_again(db):
    from django.core.files.uploadedfile import SimpleUploadedFile

    form = _Later({"name": "Amani"}, {"cv": SimpleUploadedFile("cv.pdf", PDF_BYTES)})
    assert not form.is_valid()
    items = [(i.href, i.label) for i in error_summary(form)]
    assert items == [("#id_cv", "Your CV"), ("#id_experience", "Experience")]
    assert "Attach the file again" in error_summary(form)[0].messages[0]
    assert "id_cv_reattach" in str(form["cv"]) and "Attach the file again" in form["cv"].as_field_group()
    assert error_summary(_Later({"name": "Amani", "experience": "Ten years"})) == []
