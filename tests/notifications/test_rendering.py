"""Every message template renders, says what it must, and loads nothing from elsewhere."""

import pytest
from django.utils import translation

from apps.notifications.rendering import gsm7, render_message, sms_segments

CONTEXT = {
    "full_name": "Amina O'Brien <b>",
    "fields": ["Full name", "Email address", "Mobile number"],
    "purposes": ["Recruitment for a client", "Sharing with the employer"],
    "link": "https://portal.example.org/me/tok-123/",
    "link_expires_days": 30,
    "code": "493817",
    "minutes": 10,
    "applicant_name": "Amina O'Brien <b>",
    "referee_name": "Juma",
    "purpose": "checking a job application as a referee",
    "retention": "until the recruitment is complete, then deleted",
    "object_link": "https://portal.example.org/me/referee/tok-456/",
}
EMAIL_TEMPLATES = ["confirmation", "stepup_code", "new_link", "email_changed_notice", "referee_notice"]
SMS_TEMPLATES = ["confirmation", "stepup_code", "new_link", "referee_notice"]
MUST_SAY = {
    "confirmation": ["Full name", "Mobile number", "Recruitment for a client", CONTEXT["link"], "30 days",
                     "correct", "export", "delete", "Keep this message"],
    "stepup_code": ["493817", "10 minutes"],
    "new_link": [CONTEXT["link"]],
    "email_changed_notice": ["was just changed", "privacy@example.org"],
    "referee_notice": ["Amina O'Brien", CONTEXT["purpose"], CONTEXT["retention"], CONTEXT["object_link"]],
}


@pytest.mark.parametrize("template", EMAIL_TEMPLATES)
def test_each_email_has_a_one_line_subject_a_text_and_an_html_part(template):
    subject, text, html = render_message(template, CONTEXT)
    assert subject and "\n" not in subject
    for part in (subject, text, html):
        assert "{{" not in part and "{%" not in part
    for phrase in MUST_SAY[template]:
        assert phrase in text
    assert html.startswith("<!DOCTYPE html>") and '<html lang="en">' in html


@pytest.mark.parametrize("template", EMAIL_TEMPLATES)
def test_the_html_escapes_the_context_and_loads_nothing_remote(template):
    _, text, html = render_message(template, CONTEXT)
    for tag in ("<img", "<script", "<link", "<style", "url(", "@import"):
        assert tag not in html
    assert "<b>" not in html
    if "Amina" in text:
        assert "Amina O&#x27;Brien &lt;b&gt;" in html
        assert "Amina O'Brien <b>" in text  # the plain text is not HTML-escaped


def test_the_confirmation_lists_field_labels_and_never_values():
    _, text, html = render_message("confirmation", {**CONTEXT, "fields": ["Address"]})
    assert "- Address" in text and "<li>Address</li>" in html


def test_the_stepup_code_is_valid_ten_minutes_unless_told_otherwise():
    _, text, _ = render_message("stepup_code", {"code": "111222"})
    assert "valid for 10 minutes" in text


@pytest.mark.parametrize("template", SMS_TEMPLATES)
def test_each_sms_is_short_and_says_what_it_must(template):
    subject, text, html = render_message(template, CONTEXT, channel="sms")
    assert subject == "" and html == ""
    assert "{{" not in text and "&#x27;" not in text
    must = {"confirmation": [CONTEXT["link"]], "stepup_code": ["493817"], "new_link": [CONTEXT["link"]],
            "referee_notice": [CONTEXT["object_link"], "Amina O'Brien"]}[template]
    for phrase in must:
        assert phrase in text
    assert len(text) <= 320  # two SMS segments at most


@pytest.mark.parametrize("language", ["en", "sw"])
def test_the_confirmation_sms_links_the_policy_version_and_fits_three_segments(settings, language):
    """A real private link is ~130 characters on a real domain: with the longest seeded purposes and a
    client's name the SMS takes three GSM segments (153 characters each once concatenated), never more."""
    settings.CONTROLLER_NAME = "Jamii Talent Ltd"
    site = "https://portal.jamiitalent.co.ke"
    longest = {**CONTEXT, "received_from": "Acme Hospitals Kenya Ltd",
               "purposes": ["Kuwapa taarifa kampuni inayoajiri", "Kujibu swali lako", "Habari za kazi mpya"]
               if language == "sw" else ["Sharing with the hiring company", "Answering your enquiry",
                                         "News about new jobs"],
               "link": f"{site}/me/{'x' * 96}/", "policy_version": 12,
               "policy_url": f"{site}/privacy/versions/12/"}
    with translation.override(language):
        _, text, _ = render_message("confirmation", longest, channel="sms")
    assert longest["policy_url"] in text and ("v12" in text or "toleo 12" in text) and longest["link"] in text
    assert "Acme Hospitals Kenya Ltd" in text
    assert len(text) <= 3 * 153, len(text)


@pytest.mark.parametrize("language", ["en", "sw"])
@pytest.mark.parametrize("name, plain", [("Mũthoni Wanjirũ", "Muthoni Wanjiru"), ("Njeri Kĩmani", "Njeri Kimani")])
def test_a_kikuyu_name_keeps_the_referee_sms_in_gsm_7_and_two_segments(settings, language, name, plain):
    """ũ and ĩ are not in GSM-7: left in, the whole SMS would go as UCS-2 (70 characters a part, 5 parts). The
    SMS spells the name without the tilde; the count of parts is the one of a name without it."""
    settings.CONTROLLER_NAME = "Jamii Talent Ltd"
    context = {**CONTEXT, "object_link": f"https://jamiitalent.co.ke/me/referee/{'x' * 104}/",
               "retention": "hadi uajiri ukamilike, kisha hufutwa" if language == "sw" else CONTEXT["retention"]}
    with translation.override(language):
        _, text, _ = render_message("referee_notice", {**context, "applicant_name": name}, channel="sms")
        _, same, _ = render_message("referee_notice", {**context, "applicant_name": plain}, channel="sms")
    assert plain in text and name not in text and text == same
    assert gsm7(text) == text and sms_segments(text) == 2
    assert sms_segments(text.replace(plain, name)) == 5  # as it was sent before: UCS-2


def test_segments_are_counted_as_phones_count_them():
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2 and sms_segments("a" * 306) == 2
    assert sms_segments("€" * 80) == 1 and sms_segments("€" * 81) == 2  # two septets each
    assert sms_segments("ũ" * 70) == 1 and sms_segments("ũ" * 71) == 2
    assert gsm7("Kĩmani — “é” …") == 'Kimani - "é" ...'  # é is GSM-7: kept


def test_an_email_keeps_the_name_as_written():
    _, text, _ = render_message("referee_notice", {**CONTEXT, "applicant_name": "Mũthoni Wanjirũ"})
    assert "Mũthoni Wanjirũ" in text
