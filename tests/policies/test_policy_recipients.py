"""The generated "who receives it" names the recipients a version's disclosures add, and the difference
between versions shows it (it said "nobody outside the company" and "No change" before)."""

import pytest
from playwright.sync_api import expect

from apps.audit.services import Actor
from apps.policies import selectors, text
from apps.policies.models import PolicyDisclosure, PolicyVersion
from apps.policies.services import policy_version_publish
from tests.policies.helpers import BACKGROUND, HIRING, draft

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def _version(*, vetting: bool) -> PolicyVersion:
    version = PolicyVersion.objects.create(title="Privacy policy", summary="What changes.", body="Text.")
    if vetting:
        PolicyDisclosure.objects.create(version=version, key="background-check", recipient="Checks Ltd",
                                        recipient_category="Vetting agency", purpose="background checks",
                                        purpose_slug="recruitment", data_categories=["identity"])
        PolicyDisclosure.objects.create(version=version, key="court", recipient="High Court",
                                        recipient_category="Court", purpose="answering court orders",
                                        data_categories=["identity", "contact"])
    return version


def _row(rows: list[dict], key: str) -> dict:
    return next(r for r in rows if r["holding"] == key)


def test_the_table_names_each_disclosures_recipient_in_its_purposes_row(demo_purposes):
    version = _version(vetting=True)
    plain = text.data_table()
    assert _row(plain, "purpose:recruitment")["recipients"] == "nobody outside the company"
    rows = text.data_table(version.disclosures.all())
    assert _row(rows, "purpose:recruitment")["recipients"] == "Checks Ltd (Vetting agency)"
    court = _row(rows, "disclosure:court")  # no purpose of the table: a row of its own
    assert court["recipients"] == "High Court (Court)" and court["purposes"] == "answering court orders"
    assert text.with_disclosures(rows, version.disclosures.all()) == rows  # already in: the same table


def test_the_difference_shows_the_recipient_a_version_adds_for_a_draft_and_once_published(demo_purposes):
    first = policy_version_publish(version=_version(vetting=False), actor=SYSTEM).version
    second = _version(vetting=True)
    for state in ("draft", "published"):
        diff = selectors.versions_diff(first, second)
        changed = {change.key: change for change in diff.table}
        recruitment = changed["purpose:recruitment"]
        assert ("recipients", "nobody outside the company", "Checks Ltd (Vetting agency)") in recruitment.pairs
        assert changed["disclosure:court"].kind == "added"
        assert _row(selectors.data_table_of(second), "purpose:recruitment")["recipients"] == \
            "Checks Ltd (Vetting agency)"
        if state == "draft":
            second = policy_version_publish(version=second, actor=SYSTEM).version  # frozen without them


def test_publishing_freezes_the_recipients_its_disclosures_add_in_every_language(demo_purposes):
    second = policy_version_publish(version=_version(vetting=True), actor=SYSTEM).version
    second.refresh_from_db()
    for language in ("en", "sw"):
        frozen = second.data_table[language]
        assert _row(frozen, "purpose:recruitment")["recipients"] == "Checks Ltd (Vetting agency)"
        assert _row(frozen, "disclosure:court")["recipients"] == "High Court (Court)"
        assert selectors.data_table_of(second, language=language) == frozen  # nothing left to fill in


@pytest.mark.real_services
def test_the_published_policy_and_the_difference_page_name_the_vetting_agency_version_2_adds(page, demo_purposes):
    policy_version_publish(version=draft(disclosures=[HIRING, BACKGROUND]), actor=SYSTEM)

    page.goto("/privacy/")
    table = page.get_by_role("region", name="What we collect, why, for how long, and who receives it")
    recruitment = table.get_by_role("row").filter(has_text="Uhakiki Vetting Ltd (Vetting agency)")
    expect(recruitment).to_have_count(1)
    expect(recruitment.get_by_role("cell").nth(1)).to_contain_text("assess your application")  # the recruitment row
    page.goto("/privacy/versions/1/")  # version 1 gave nobody outside the company its recruitment data
    expect(page.get_by_text("Uhakiki Vetting Ltd")).to_have_count(0)

    page.goto("/privacy/changes/1/2/")
    expect(page.get_by_role("heading", name="What changed from version 1 to version 2")).to_be_visible()
    changes = page.locator("ul.changes").nth(1)  # the generated table's changes, not the disclosure list
    expect(changes).to_contain_text("nobody outside the company")
    expect(changes.locator("ins")).to_contain_text(["Uhakiki Vetting Ltd (Vetting agency)"])
    expect(page.get_by_text("No change.", exact=True)).to_have_count(0)
    assert page.console_errors == [] and page.foreign_requests == []
