"""The policy version form in the admin saves drafts and their disclosures through the services."""

import pytest
from django.contrib.auth.models import Group

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.policies.models import Campaign, CampaignRecipient, PolicyDisclosure, PolicyVersion
from apps.policies.services import PolicyLocked, policy_disclosure_delete
from tests.factories import EngagementFactory, SubjectFactory
from tests.policies.helpers import BACKGROUND, HIRING, draft, publish

pytestmark = pytest.mark.django_db
EMPTY_INLINE = {"disclosures-TOTAL_FORMS": "0", "disclosures-INITIAL_FORMS": "0",
                "disclosures-MIN_NUM_FORMS": "0", "disclosures-MAX_NUM_FORMS": "1000"}


@pytest.fixture
def officer(django_user_model, staff_client):
    user = django_user_model.objects.create_user("officer", password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name="privacy officer"))
    return staff_client(user)


def test_a_draft_with_a_title_alone_is_refused_with_a_message_and_nothing_saved(officer):
    response = officer.post("/admin/policies/policyversion/add/", {"title_en": "Privacy policy", **EMPTY_INLINE})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert not PolicyVersion.objects.filter(title_en="Privacy policy").exists()


def test_a_draft_with_its_texts_is_saved_and_audited(officer):
    response = officer.post("/admin/policies/policyversion/add/", {
        "title_en": "Privacy policy", "summary_en": "A change.", "body_en": "## Who\n\nUs.", **EMPTY_INLINE})
    assert response.status_code == 302
    version = PolicyVersion.objects.get(title_en="Privacy policy")
    assert not version.is_published
    assert AuditEvent.objects.filter(verb="policy_version.saved", target=str(version.pk)).exists()


def test_an_unknown_data_category_is_a_message_on_the_form(officer):
    version = draft(disclosures=[])
    response = officer.post(f"/admin/policies/policyversion/{version.pk}/change/", {
        "title_en": version.title_en, "summary_en": version.summary_en, "body_en": version.body_en,
        **EMPTY_INLINE, "disclosures-TOTAL_FORMS": "1", "disclosures-0-key": "x", "disclosures-0-recipient_en": "X",
        "disclosures-0-recipient_category_en": "Y", "disclosures-0-purpose_en": "Z",
        "disclosures-0-data_categories": ["shoe-size"]})
    assert response.status_code == 200
    assert "Select a valid choice. shoe-size is not one of the available choices." in response.content.decode()
    assert not version.disclosures.exists()


def test_a_disclosure_ticked_for_deletion_on_a_draft_is_deleted_and_audited(officer):
    version = draft(disclosures=[HIRING, BACKGROUND])
    rows = list(version.disclosures.order_by("pk"))
    data = {"title_en": version.title_en, "summary_en": version.summary_en, "body_en": version.body_en,
            "disclosures-TOTAL_FORMS": "2", "disclosures-INITIAL_FORMS": "2",
            "disclosures-MIN_NUM_FORMS": "0", "disclosures-MAX_NUM_FORMS": "1000"}
    for i, row in enumerate(rows):
        data.update({f"disclosures-{i}-id": str(row.pk), f"disclosures-{i}-version": str(version.pk),
                     f"disclosures-{i}-key": row.key, f"disclosures-{i}-recipient_en": row.recipient_en,
                     f"disclosures-{i}-recipient_category_en": row.recipient_category_en,
                     f"disclosures-{i}-purpose_en": row.purpose_en, f"disclosures-{i}-purpose_slug": row.purpose_slug,
                     f"disclosures-{i}-data_categories": ["identity"], f"disclosures-{i}-compatible": "on",
                     f"disclosures-{i}-recipient_country": row.recipient_country})
    data["disclosures-1-DELETE"] = "on"
    response = officer.post(f"/admin/policies/policyversion/{version.pk}/change/", data)
    assert response.status_code == 302
    assert list(version.disclosures.values_list("key", flat=True)) == [rows[0].key]
    deleted = AuditEvent.objects.get(verb="policy_version.saved", target=str(version.pk), detail__deleted=True)
    assert deleted.detail["disclosure"] == rows[1].key


def test_a_published_versions_disclosure_cannot_be_deleted():
    published = publish(disclosures=[HIRING]).version
    with pytest.raises(PolicyLocked):
        policy_disclosure_delete(disclosure=published.disclosures.get(), actor=Actor.system("test"))
    assert PolicyDisclosure.objects.filter(version=published).count() == 1


def test_a_published_version_is_shown_read_only_without_a_save_button(officer):
    published = publish(disclosures=[HIRING]).version
    page = officer.get(f"/admin/policies/policyversion/{published.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert officer.post(f"/admin/policies/policyversion/{published.pk}/change/", {}).status_code == 403


@pytest.mark.parametrize("role", ["support", "recruiter"])
def test_only_a_role_allowed_to_may_delete_a_draft(role, django_user_model, staff_client):
    user = django_user_model.objects.create_user(role, password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    version = draft()
    client = staff_client(user)
    assert client.get(f"/admin/policies/policyversion/{version.pk}/delete/").status_code == 403
    client.post(f"/admin/policies/policyversion/{version.pk}/delete/", {"post": "yes"})
    assert PolicyVersion.objects.filter(pk=version.pk).exists()


def test_the_campaign_and_call_list_pages_offer_no_save_button(officer, demo_purposes,
                                                               django_capture_on_commit_callbacks):
    EngagementFactory(subject=SubjectFactory(mobile=None))
    with django_capture_on_commit_callbacks(execute=True):
        published = publish(disclosures=[HIRING, BACKGROUND])
    campaign = Campaign.objects.get(version=published.version)
    urls = [f"/admin/policies/campaign/{campaign.pk}/change/",
            *[f"/admin/policies/campaignrecipient/{r.pk}/change/" for r in CampaignRecipient.objects.all()]]
    assert len(urls) == 2
    for url in urls:
        page = officer.get(url).content.decode()
        assert 'name="_save"' not in page and 'name="_continue"' not in page, url
