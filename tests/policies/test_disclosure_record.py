"""The disclosure register: every disclosure recorded with its basis; beyond consent only when the law requires."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.consent.models import ConsentRecord, Purpose
from apps.consent.services import CollectionContext, consent_give, consent_withdraw
from apps.core import datamap
from apps.policies.models import Disclosure, PolicyVersion
from apps.policies.services import DisclosureRefused, disclosure_choice_record, disclosure_record
from apps.subjects.links import link_token
from tests.factories import EngagementFactory
from tests.policies.helpers import BACKGROUND, HIRING, SYSTEM, TALENT_POOL, publish

pytestmark = pytest.mark.django_db
CONTEXT = CollectionContext(collection_point="apply-form", form_version="t", source=ConsentRecord.Source.WEB_FORM)


@pytest.fixture
def applicant(demo_purposes):
    subject = EngagementFactory().subject
    for slug in ["recruitment", "share-with-employer"]:
        consent_give(subject=subject, purpose=Purpose.objects.get(slug=slug), context=CONTEXT)
    return subject


def _allowed(key: str):
    return PolicyVersion.objects.order_by("-number").first().disclosures.get(key=key)


def test_a_consent_based_disclosure_is_recorded_with_the_version_and_the_receipt(applicant):
    disclosure = disclosure_record(subject=applicant, actor=SYSTEM, recipient="", data_categories=["identity"],
                                   legal_basis="consent", allowed=_allowed("hiring-company"))
    receipt = ConsentRecord.objects.get(subject=applicant, purpose__slug="share-with-employer")
    assert disclosure.consent_receipt == str(receipt.pk) and disclosure.policy_version.number == 1
    assert disclosure.recipient == HIRING["recipient_en"]
    assert AuditEvent.objects.filter(verb="disclosure.recorded", target=str(applicant.pk)).exists()


def test_a_consent_based_disclosure_after_an_opt_out_is_refused(applicant, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        v2 = publish(disclosures=[HIRING, BACKGROUND]).version
    disclosure_choice_record(subject=applicant, version=v2, key="background-check", choice="opted-out",
                             source="email-link")
    with pytest.raises(DisclosureRefused, match="opted out"):
        disclosure_record(subject=applicant, actor=SYSTEM, recipient="", data_categories=["identity"],
                          legal_basis="consent", allowed=_allowed("background-check"))
    assert not Disclosure.objects.exists()
    assert AuditEvent.objects.filter(verb="disclosure.refused").count() == 1


def test_a_disclosure_to_someone_who_withdrew_consent_is_refused(applicant):
    consent_withdraw(subject=applicant, purpose=Purpose.objects.get(slug="share-with-employer"), context=CONTEXT)
    with pytest.raises(DisclosureRefused, match="not consented"):
        disclosure_record(subject=applicant, actor=SYSTEM, recipient="", data_categories=["identity"],
                          legal_basis="consent", allowed=_allowed("hiring-company"))


def test_a_new_purpose_needs_an_opt_in(applicant, django_capture_on_commit_callbacks):
    consent_give(subject=applicant, purpose=Purpose.objects.get(slug="marketing"), context=CONTEXT)
    with django_capture_on_commit_callbacks(execute=True):
        v2 = publish(disclosures=[HIRING, TALENT_POOL]).version
    with pytest.raises(DisclosureRefused, match="not opted in"):
        disclosure_record(subject=applicant, actor=SYSTEM, recipient="", data_categories=["identity"],
                          legal_basis="consent", allowed=_allowed("talent-pool"))
    disclosure_choice_record(subject=applicant, version=v2, key="talent-pool", choice="opted-in", source="email-link")
    assert disclosure_record(subject=applicant, actor=SYSTEM, recipient="", data_categories=["identity"],
                             legal_basis="consent", allowed=_allowed("talent-pool")).policy_version == v2


def test_a_legal_obligation_disclosure_needs_its_reference(applicant):
    with pytest.raises(DisclosureRefused, match="reference"):
        disclosure_record(subject=applicant, actor=SYSTEM, recipient="Directorate of Criminal Investigations",
                          data_categories=["identity"], legal_basis="legal-obligation", reference=" ")
    recorded = disclosure_record(subject=applicant, actor=SYSTEM, recipient="Directorate of Criminal Investigations",
                                 data_categories=["identity"], legal_basis="legal-obligation",
                                 reference="Court order HCCR 12/2026")
    assert recorded.reference == "Court order HCCR 12/2026"


def test_the_person_sees_their_disclosures_but_not_a_restricted_one_until_its_review_date(applicant, client):
    disclosure_record(subject=applicant, actor=SYSTEM, recipient="", data_categories=["contact"],
                      legal_basis="consent", allowed=_allowed("hiring-company"))
    disclosure_record(subject=applicant, actor=SYSTEM, recipient="Police", data_categories=["identity"],
                      legal_basis="legal-obligation", reference="Warrant 7/2026",
                      restricted_until=timezone.localdate() + timedelta(days=30))
    shown = datamap.export_for(subject_id=applicant.pk)["data"]["disclosures"]["rows"]
    assert [d["recipient"] for d in shown] == [HIRING["recipient_en"]]
    page = client.get(f"/me/{link_token(applicant)}/").content.decode()
    assert HIRING["recipient_en"] in page and "Police" not in page and "Warrant 7/2026" not in page

    with time_machine.travel(timezone.now() + timedelta(days=31)):  # the review date has come
        shown = datamap.export_for(subject_id=applicant.pk)["data"]["disclosures"]["rows"]
        assert {d["recipient"] for d in shown} == {HIRING["recipient_en"], "Police"}
        page = client.get(f"/me/{link_token(applicant)}/").content.decode()
        assert "Police" in page and "Warrant 7/2026" in page


def test_staff_record_a_disclosure_for_several_people_in_the_admin(applicant, admin_client):
    other = EngagementFactory().subject
    response = admin_client.post("/admin/policies/disclosure/add/", {
        "people": f"{applicant.pk}\n{other.pk}", "legal_basis": "consent",
        "allowed": _allowed("hiring-company").pk, "data_categories": ["identity"]})
    assert Disclosure.objects.filter(subject=applicant).count() == 1
    assert not Disclosure.objects.filter(subject=other).exists()  # never consented
    assert "not consented" in response.content.decode()
