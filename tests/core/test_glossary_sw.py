"""The Swahili catalogue uses one term per concept, the one docs/glossary-sw.md names, and Django's own messages
a visitor meets read in Swahili with the project's terms."""

import re

import polib
import pytest

from tests.conftest import ROOT

CATALOGUE = ROOT / "locale" / "sw" / "LC_MESSAGES" / "django.po"
GLOSSARY = ROOT / "docs" / "glossary-sw.md"


def _glossary() -> list[tuple[str, list[str]]]:
    rows = []
    for line in GLOSSARY.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("concept (in the English text)", "---"):
            concept = re.sub(r"\s*\(.*\)", "", cells[0])
            rows.append((concept, [w.strip().lower() for w in cells[2].split(",")]))
    return rows


def test_the_glossary_names_the_terms_the_review_found_mixed():
    concepts = dict(_glossary())
    assert {"receipt", "breach", "necessary", "consent", "private link", "candidate", "email address"} <= set(concepts)


def test_every_catalogue_entry_uses_the_glossarys_term():
    wrong = []
    for entry in polib.pofile(str(CATALOGUE)):
        if entry.obsolete:
            continue
        english = f"{entry.msgid} {entry.msgid_plural or ''}".lower()
        swahili = " ".join([entry.msgstr, *entry.msgstr_plural.values()]).lower()
        for concept, never in _glossary():
            if concept.lower() in english:
                wrong += [f"{entry.msgid[:60]!r}: {word!r} for {concept!r}" for word in never
                          if re.search(rf"\b{re.escape(word)}\b", swahili)]
    assert wrong == []


def test_the_meta_description_of_every_page_says_applicants_not_examinees(client, db):
    client.post("/i18n/setlang/", {"language": "sw", "next": "/"})
    page = client.get("/contact/").content.decode()
    description = re.search(r'<meta name="description" content="([^"]+)"', page).group(1)
    assert "waombaji kazi" in description and "watahiniwa" not in description


@pytest.mark.django_db
def test_djangos_length_and_email_messages_read_in_swahili(client, demo_purposes):
    client.post("/i18n/setlang/", {"language": "sw", "next": "/"})
    page = client.post("/contact/", {"full_name": "x" * 150, "email": "not-an-address", "message": "y" * 3000,
                                     "consent_enquiry": "on"}).content.decode()
    assert "Ensure this value" not in page and "anuani" not in page
    assert "Andika herufi zisizozidi 100 (umeandika 150)." in page
    assert "Weka anwani halali ya barua pepe." in page
