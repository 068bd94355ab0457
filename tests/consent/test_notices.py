"""What a person was shown when they consented is kept word for word, in the language shown."""

import hashlib
import html
import re

import pytest

from apps.audit.services import Actor
from apps.consent.models import ConsentRecord, Purpose, PurposeNotice
from apps.consent.services import purpose_save
from apps.core import datamap
from tests.consent.helpers import application_post, send_form

pytestmark = pytest.mark.django_db


def _words_shown(page: str, slug: str) -> str:
    """The text of the page's notice for one purpose, as a reader sees it: one line per paragraph."""
    block = page.split(f'data-purpose="{slug}"')[1].split('data-purpose="')[0]
    parts = re.findall(r"<(?:span|p)[^>]*data-notice[^>]*>(.*?)</(?:span|p)>", block, flags=re.S)
    return "\n".join(" ".join(html.unescape(re.sub(r"<[^>]+>", "", p)).split()) for p in parts)


@pytest.mark.parametrize("language", ["en", "sw"])
def test_a_receipts_hash_is_of_the_words_the_page_showed_in_that_language(demo_purposes, client, language):
    client.cookies["django_language"] = language
    page = client.get("/apply/").content.decode()
    shown = {slug: _words_shown(page, slug) for slug in ["recruitment", "share-with-employer"]}
    notice_ids = dict(re.findall(r'name="notice_([\w-]+)" value="(\d+)"', page))

    response = send_form(client, "/apply/", application_post(**{f"notice_{s}": i for s, i in notice_ids.items()}))
    assert response.status_code == 302

    for slug, words in shown.items():
        receipt = ConsentRecord.objects.get(purpose__slug=slug)
        assert receipt.language == language
        assert receipt.wording_sha256 == hashlib.sha256(words.encode()).hexdigest()
        assert receipt.notice.text == words
    if language == "sw":
        assert "Msingi wa kisheria:" in shown["recruitment"]


def test_editing_a_purposes_words_makes_a_new_version_and_old_receipts_keep_the_old_words(demo_purposes, client):
    send_form(client, "/apply/", application_post())
    old = ConsentRecord.objects.get(purpose__slug="recruitment")
    purpose = Purpose.objects.get(slug="recruitment")
    purpose.explanation = "We also keep your CV on file for similar jobs."
    purpose_save(purpose=purpose, actor=Actor.system("test"), changed=["explanation"])

    assert "similar jobs" in client.get("/apply/").content.decode()
    assert PurposeNotice.objects.filter(purpose=purpose, language="en").count() == 2
    old.refresh_from_db()
    assert "similar jobs" not in old.notice.text and old.notice.version == 1

    export = datamap.export_for(subject_id=old.subject_id)["data"]["consents"]["rows"]
    shown = next(r for r in export if r["purpose"] == "recruitment")
    assert shown["words_shown"] == old.notice.paragraphs and shown["language"] == "en"


def test_a_notice_id_from_another_purpose_is_not_trusted(demo_purposes, client):
    client.get("/apply/")
    marketing = PurposeNotice.objects.get(purpose__slug="marketing", language="en")
    send_form(client, "/apply/", application_post(**{"notice_recruitment": str(marketing.pk)}))
    receipt = ConsentRecord.objects.get(purpose__slug="recruitment")
    assert receipt.notice.purpose.slug == "recruitment"


def test_the_confirmation_links_the_policy_version_consent_was_given_under(demo_purposes, client, mailoutbox,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        send_form(client, "/apply/", application_post())
    confirmation = next(m for m in mailoutbox if "amani.wekesa@example.org" in m.to)
    assert "/privacy/versions/1/" in confirmation.body
    assert ConsentRecord.objects.filter(policy_version__number=1).count() == 2
