"""The privacy officer (a staff member with that role, not a superuser) does the policy work in the admin:
a draft's disclosures, publishing with the preview, the campaign, the call list and the disclosure register."""

import pytest
from django.contrib.auth.models import Group

from apps.policies.models import Campaign, CampaignRecipient, Disclosure, PolicyVersion
from tests.factories import EngagementFactory, SubjectFactory
from tests.notifications.fakes import FlakyEmailBackend
from tests.policies.helpers import BACKGROUND, HIRING, draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer(django_user_model, staff_client):
    user = django_user_model.objects.create_user("officer", password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name="privacy officer"))
    return staff_client(user)


@pytest.fixture
def recruiter(django_user_model, staff_client):
    user = django_user_model.objects.create_user("recruiter", password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name="recruiter"))
    return staff_client(user)


def test_the_privacy_officer_publishes_a_change_and_works_its_call_list(
        demo_purposes, officer, settings, django_capture_on_commit_callbacks):
    person = EngagementFactory(subject=SubjectFactory(mobile=None)).subject
    version = draft(disclosures=[HIRING, BACKGROUND])
    page = officer.get(f"/admin/policies/policyversion/{version.pk}/change/").content.decode()
    assert 'name="disclosures-0-recipient_sw"' in page  # the draft's disclosures can be edited, in Swahili too
    assert "Uhakiki Vetting Ltd" in officer.get(f"/admin/policies/policyversion/{version.pk}/publish/").content.decode()

    settings.EMAIL_BACKEND = "tests.notifications.fakes.FlakyEmailBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    FlakyEmailBackend.failures = [ConnectionError("down")]
    with django_capture_on_commit_callbacks(execute=True):
        assert officer.post(f"/admin/policies/policyversion/{version.pk}/publish/").status_code == 302
    assert PolicyVersion.objects.get(pk=version.pk).number == 2
    campaign = Campaign.objects.get()
    assert officer.get(f"/admin/policies/campaign/{campaign.pk}/change/").status_code == 200

    recipient = CampaignRecipient.objects.get(subject=person)
    assert officer.get(f"/admin/policies/campaignrecipient/{recipient.pk}/change/").status_code == 200
    officer.post("/admin/policies/campaignrecipient/", {"action": "record_reached",
                                                        "_selected_action": [str(recipient.pk)]})
    recipient.refresh_from_db()
    assert recipient.call_outcome == "reached"

    officer.post("/admin/policies/disclosure/add/", {
        "people": str(person.pk), "legal_basis": "legal-obligation", "recipient": "High Court",
        "reference": "HCCR 12/2026", "data_categories": ["identity"]})
    assert Disclosure.objects.get().reference == "HCCR 12/2026"
    assert officer.get("/admin/policies/disclosurechoice/").status_code == 200


def test_a_recruiter_neither_publishes_nor_sees_the_register(demo_purposes, recruiter):
    version = draft(disclosures=[HIRING, BACKGROUND])
    recruiter.post(f"/admin/policies/policyversion/{version.pk}/publish/")
    assert not PolicyVersion.objects.get(pk=version.pk).is_published
    for url in ["/admin/policies/campaign/", "/admin/policies/campaignrecipient/", "/admin/policies/disclosure/"]:
        assert recruiter.get(url).status_code == 403, url
    assert recruiter.get("/admin/policies/disclosure/add/")["Location"] == "/admin/"  # sent back, no form


def test_the_officer_records_a_disclosure_for_people_chosen_on_the_people_list(demo_purposes, officer, recruiter):
    chosen = [EngagementFactory().subject for _ in range(2)]
    other = EngagementFactory().subject
    response = officer.post("/admin/subjects/datasubject/", {
        "action": "record_disclosure", "_selected_action": [str(p.pk) for p in chosen]})
    assert response.status_code == 302 and response["Location"].startswith("/admin/policies/disclosure/add/?")
    form = officer.get(response["Location"]).content.decode()
    assert all(str(p.pk) in form for p in chosen) and str(other.pk) not in form  # the form arrives filled in
    officer.post("/admin/policies/disclosure/add/", {
        "people": "\n".join(str(p.pk) for p in chosen), "legal_basis": "legal-obligation",
        "recipient": "Kenya Revenue Authority", "reference": "KRA/2026/118", "data_categories": ["identity"]})
    assert set(Disclosure.objects.values_list("subject_id", flat=True)) == {p.pk for p in chosen}

    people_list = recruiter.get("/admin/subjects/datasubject/")
    assert people_list.status_code == 200
    assert "record_disclosure" not in people_list.content.decode()  # a recruiter does not record disclosures
