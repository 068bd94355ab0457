"""Publishing: numbered, frozen, never back-dated, exactly one version in force, every version public."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.consent.models import Purpose
from apps.consent.services import purpose_save
from apps.policies.models import PolicyDisclosure, PolicyVersion
from apps.policies.selectors import policy_in_force
from apps.policies.services import PolicyLocked, policies_bring_into_force, policy_version_publish, policy_version_save
from tests.policies.helpers import BACKGROUND, HIRING, SYSTEM, draft, publish

pytestmark = pytest.mark.django_db


def test_publishing_numbers_the_version_and_puts_it_in_force(demo_purposes):
    published = publish(disclosures=[HIRING]).version
    assert published.number == 2 and published.is_published
    assert policy_in_force() == published
    assert AuditEvent.objects.filter(verb="policy.published", target="2").count() == 1


def test_publishing_twice_changes_nothing_the_second_time(demo_purposes):
    version = draft(disclosures=[HIRING, BACKGROUND])
    first = policy_version_publish(version=version, actor=SYSTEM)
    second = policy_version_publish(version=version, actor=SYSTEM)
    assert second.version.number == first.version.number == 2
    assert second.campaign == first.campaign
    assert AuditEvent.objects.filter(verb="policy.published").count() == 2  # v1 (seed) and v2


def test_a_back_dated_version_is_refused(demo_purposes):
    version = draft(effective_at=timezone.now() - timedelta(days=3))
    with pytest.raises(ValidationError, match="in the past"):
        policy_version_publish(version=version, actor=SYSTEM)
    version.refresh_from_db()
    assert not version.is_published and policy_in_force().number == 1


def test_a_version_cannot_come_into_force_before_the_one_published_before_it(demo_purposes):
    publish(effective_at=timezone.now() + timedelta(days=30))
    with pytest.raises(ValidationError, match="after version 2"):
        publish(effective_at=timezone.now() + timedelta(days=10))


def test_a_future_dated_version_comes_into_force_on_its_date(demo_purposes, client):
    start = timezone.now()
    future = publish(effective_at=start + timedelta(days=14), summary="Background checks.").version
    assert policy_in_force().number == 1
    page = client.get("/privacy/versions/2/").content.decode()
    assert "published; in force from" in page
    assert policies_bring_into_force() == 0

    with time_machine.travel(start + timedelta(days=14, minutes=1)):
        assert policy_in_force() == future
        assert policies_bring_into_force() == 1
        assert policies_bring_into_force() == 0  # recorded once
        assert "Version 2, in force from" in client.get("/privacy/").content.decode()
    future.refresh_from_db()
    assert future.in_force_at is not None


def test_a_published_version_cannot_be_changed_through_the_service(demo_purposes):
    version = PolicyVersion.objects.get(number=1)
    version.body = "We sell your data."
    with pytest.raises(PolicyLocked):
        policy_version_save(version=version, actor=SYSTEM, changed=["body"])
    assert "sell" not in PolicyVersion.objects.get(number=1).body


def test_a_published_version_cannot_be_changed_or_deleted_in_the_admin(demo_purposes, admin_client):
    version = PolicyVersion.objects.get(number=1)
    url = f"/admin/policies/policyversion/{version.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert 'name="body_en"' not in page and 'name="body_sw"' not in page and 'name="title_en"' not in page
    admin_client.post(url, {"title_en": "Changed", "summary_en": "x", "body_en": "We sell your data."})
    assert PolicyVersion.objects.get(number=1).body == version.body
    response = admin_client.post(f"/admin/policies/policyversion/{version.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403 and PolicyVersion.objects.filter(number=1).exists()


@pytest.mark.postgresql_only  # the trigger is PostgreSQL's
def test_a_published_version_cannot_be_changed_through_the_orm_or_sql(demo_purposes):
    version = PolicyVersion.objects.get(number=1)
    for attempt in [
        lambda: PolicyVersion.objects.filter(pk=version.pk).update(body="We sell your data."),
        lambda: PolicyVersion.objects.filter(pk=version.pk).delete(),
        lambda: PolicyDisclosure.objects.filter(version=version).update(recipient="Anyone"),
        lambda: PolicyDisclosure.objects.create(version=version, key="sneaky", recipient="A", recipient_category="B",
                                                purpose="C"),
    ]:
        with pytest.raises(DatabaseError, match="published"), transaction.atomic():
            attempt()
    for sql in ["UPDATE policies_policyversion SET title = 'x' WHERE id = %s",
                "DELETE FROM policies_policyversion WHERE id = %s"]:
        with pytest.raises(DatabaseError, match="published"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [version.pk])
    assert PolicyVersion.objects.get(pk=version.pk).body == version.body


def test_a_draft_is_not_public(demo_purposes, client):
    version = draft()
    assert client.get("/privacy/versions/").content.decode().count("/privacy/versions/") >= 1
    assert version.number is None
    assert client.get("/privacy/changes/1/2/").status_code == 404


def test_the_text_is_sanitised_markdown_with_contents_and_the_generated_table(demo_purposes, client):
    publish(body="## Sharing\n\nWe share <script>alert(1)</script> little.\n\n## Rights\n\n- see\n- delete")
    page = client.get("/privacy/").content.decode()
    assert "<script>alert(1)" not in page
    assert '<h2 id="sharing">Sharing</h2>' in page and 'href="#rights"' in page and "<li>delete</li>" in page
    assert "What we collect, why, for how long, and who receives it" in page
    assert "Consent receipts" in page  # a row of the table generated from the personal-data map


FAKE_BANNER = ('<div class="cookie-banner notice-error"><nav class="site-header">Your session expired: '
               '<a href="//evil.example/login">sign in again</a></nav></div>\n\n'
               '[plain http](http://evil.example/) [backslash](/\\evil.example/) [script](javascript:alert(1)) '
               '[ours](https://portal.example.org/privacy/) [rights](#rights) [mail](mailto:dpo@example.org) '
               '[archive](/privacy/versions/)\n\n## Rights\n\nAsk us.')


def test_a_policy_cannot_dress_text_as_the_sites_banner_or_link_to_another_site(demo_purposes, client):
    publish(body=FAKE_BANNER)
    page = client.get("/privacy/").content.decode()
    policy = page[page.index("Your session expired"):page.index("Ask us.")]
    assert "class=" not in policy  # no class of the site's own notices and banners
    assert "evil.example" not in policy  # no link to another site, by any spelling
    assert '<a rel="noopener noreferrer">sign in again</a>' in policy  # the words stay, the link goes
    assert 'href="http:' not in policy and "javascript:" not in policy
    for kept in ('href="https://portal.example.org/privacy/"', 'href="#rights"', 'href="mailto:dpo@example.org"',
                 'href="/privacy/versions/"'):
        assert kept in policy


def test_every_published_version_stays_public_with_its_dates(demo_purposes, client):
    publish(summary="Background checks.", disclosures=[HIRING, BACKGROUND])
    archive = client.get("/privacy/versions/").content.decode()
    assert "/privacy/versions/1/" in archive and "/privacy/versions/2/" in archive
    assert "Background checks." in archive and "/privacy/changes/1/2/" in archive
    old = client.get("/privacy/versions/1/").content.decode()
    assert "replaced since" in old
    assert client.get("/privacy/v/1/").status_code == 301


def test_the_difference_reads_as_changed_words_and_disclosures(demo_purposes, client):
    v1 = PolicyVersion.objects.get(number=1)
    publish(body=v1.body.replace("encrypted with a key", "encrypted with a strong key"),
            disclosures=[HIRING, BACKGROUND])
    page = client.get("/privacy/changes/1/2/").content.decode()
    assert "<ins>strong</ins>" in page
    assert "New:" in page and "Uhakiki Vetting Ltd" in page
    # "strong", and the vetting agency in recruitment's "who receives it"; unchanged paragraphs are folded
    assert page.count("<ins>") == 2 and "Uhakiki Vetting Ltd (Vetting agency)" in page


def test_the_policy_reads_in_swahili_with_its_own_contents(demo_purposes, client):
    client.cookies["django_language"] = "sw"
    page = client.get("/privacy/").content.decode()
    assert "<h1>Sera ya faragha</h1>" in page and "Haki zako" in page and 'href="#haki-zako"' in page
    assert "Tunachokusanya, kwa nini, kwa muda gani, na nani anakipokea" in page
    assert "Kampuni ya mteja inayoajiri kwa kazi hiyo" in page


def test_the_generated_table_lists_the_purposes_and_its_changes_show_in_the_difference(demo_purposes, client):
    purpose = Purpose.objects.get(slug="marketing")
    purpose.retention_days = 90
    purpose_save(purpose=purpose, actor=SYSTEM, changed=["retention_days"])
    publish(disclosures=[HIRING])
    assert "News about new jobs" in client.get("/privacy/versions/1/").content.decode()
    changes = client.get("/privacy/changes/1/2/").content.decode()
    assert "Kept for 90 days." in changes and "<del>Kept until the service is complete, then deleted.</del>" in changes
