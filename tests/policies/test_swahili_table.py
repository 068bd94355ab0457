"""A Swahili reader reads the policy's generated table and their export's explanations in Swahili: every
string of the personal-data map is translated, and a version published now freezes its Swahili table."""

from io import StringIO

import pytest
from django.utils import translation
from playwright.sync_api import expect

from apps.consent.seed import seed_demo as seed_purposes
from apps.core.datamap import export_for
from apps.policies import text
from apps.policies.models import Campaign, PolicyVersion
from apps.policies.seed import seed_demo as seed_policy
from apps.subjects.seed import seed_demo as seed_vacancies
from tests.factories import EngagementFactory
from tests.policies.helpers import publish

pytestmark = pytest.mark.django_db


def _english_cells(table: dict) -> list[str]:
    """The Swahili table's cells that are word for word the English ones (names and numbers aside)."""
    english = [cell for row in table["en"] for key, cell in row.items() if key != "holding"]
    swahili = [cell for row in table["sw"] for key, cell in row.items() if key != "holding"]
    assert len(english) == len(swahili)
    return [en for en, sw in zip(english, swahili, strict=True) if en == sw and any(c.isalpha() for c in en)
            and " " in en]


def test_a_version_published_now_has_its_table_in_swahili(demo_purposes, client):
    version = publish().version
    assert _english_cells(version.data_table) == []
    for row in version.data_table["sw"]:
        assert "kept as evidence" not in row["retention"] and "proof of consent" not in row["retention"]
    client.post("/i18n/setlang/", {"language": "sw", "next": "/"})
    page = client.get(f"/privacy/versions/{version.number}/").content.decode()
    assert "uajiri kwa niaba ya kampuni za wateja" in page  # "recruitment for client companies"
    assert "recruitment for client companies" not in page and "a legal obligation" not in page


def test_the_exports_explanations_are_in_the_readers_language(demo_purposes):
    subject = EngagementFactory().subject
    with translation.override("en"):
        en = export_for(subject_id=subject.pk)
    with translation.override("sw"):
        sw = export_for(subject_id=subject.pk)
    keys = ("purposes", "legal_basis", "recipients", "retention", "on_erasure", "why_not_shown")
    pairs = [(e[k], s[k]) for part in ("data", "also_held")
             for e, s in zip((en[part].values() if part == "data" else en[part]),
                             (sw[part].values() if part == "data" else sw[part]), strict=True)
             for k in keys if k in e]
    texts = [(a, b) for a, b in pairs if a]
    assert texts
    english = [a for a, b in texts if a == b]
    assert english == []
    assert not any("proof of" in str(b) or "the pseudonymous id" in str(b) for _a, b in texts)


def test_the_demo_seed_republishes_a_first_version_frozen_with_english_in_its_swahili_table(db, client, monkeypatch,
                                                                                             settings):
    """A demo seeded before the map's texts were translated: its v1 froze English into the Swahili table. The
    seed, run again, publishes the same policy as a new version, whose table is Swahili; nobody is told of it."""
    settings.RATELIMIT_ENABLE = False
    seed_vacancies(StringIO())
    seed_purposes(StringIO())
    real = text.data_table

    def as_before(disclosures=()):  # the map's texts were English in every language
        with translation.override("en"):
            return real(disclosures)

    monkeypatch.setattr(text, "data_table", as_before)
    seed_policy(StringIO())
    monkeypatch.undo()
    first = PolicyVersion.objects.get(number=1)
    assert len(_english_cells(first.data_table)) > 40  # as the review counted on the demo (61 of 140 cells)
    seed_policy(StringIO())
    current = PolicyVersion.objects.filter(published_at__isnull=False).order_by("-number").first()
    assert current.number == 2 and _english_cells(current.data_table) == []
    assert current.body_sw == first.body_sw and current.disclosures.count() == first.disclosures.count()
    assert not Campaign.objects.exists()  # the same disclosures: nobody is notified
    seed_policy(StringIO())  # run again: nothing more
    assert PolicyVersion.objects.count() == 2
    client.post("/i18n/setlang/", {"language": "sw", "next": "/"})
    assert "uajiri kwa niaba ya kampuni za wateja" in client.get("/privacy/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_swahili_reader_sees_the_policy_table_in_swahili_in_the_browser(page, demo_purposes):
    page.goto("/privacy/")
    page.get_by_role("button", name="Kiswahili").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "sw")
    table = page.locator("main table").first
    expect(table).to_contain_text("uajiri kwa niaba ya kampuni za wateja")
    expect(table).to_contain_text("wajibu wa kisheria")
    for english in ("recruitment for client companies", "a legal obligation", "kept as evidence", "our email server"):
        expect(table).not_to_contain_text(english)
