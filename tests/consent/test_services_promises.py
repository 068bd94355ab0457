"""Each consent receipt records the privacy policy version in force when it was written."""

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from apps.audit.services import Actor
from apps.consent.models import ConsentRecord, Purpose
from apps.consent.services import CollectionContext, consent_give, consent_withdraw
from apps.policies.models import PolicyVersion
from apps.policies.services import policy_version_publish
from apps.recruitment import intake as consent_services
from apps.recruitment.intake import RequiredConsentMissing, submission_receive
from apps.subjects.models import DataSubject
from tests.factories import PDF_BYTES, SubjectFactory

pytestmark = pytest.mark.django_db
CONTEXT = CollectionContext(collection_point="apply-form", form_version="t", source=ConsentRecord.Source.WEB_FORM)


def _publish(version: str, effective_at) -> PolicyVersion:
    draft = PolicyVersion.objects.create(title="Privacy policy", summary="Changed.", body="Text.",
                                         effective_at=effective_at)
    published = policy_version_publish(version=draft, actor=Actor.system("test")).version
    assert published.version == version
    return published


def test_a_receipt_records_the_policy_version_in_force_when_it_is_written(demo_purposes):
    subject = SubjectFactory()
    marketing = Purpose.objects.get(slug="marketing")
    given = consent_give(subject=subject, purpose=marketing, context=CONTEXT)
    assert given.policy_version.version == "1"

    with time_machine.travel(timezone.now() + timedelta(days=1)):
        _publish("2", timezone.now())
        _publish("3", timezone.now() + timedelta(days=30))  # published, not yet in force
        withdrawn = consent_withdraw(subject=subject, purpose=marketing, context=CONTEXT)
        recruitment = consent_give(subject=subject, purpose=Purpose.objects.get(slug="recruitment"), context=CONTEXT)

    receipts = {r.pk: r.policy_version.version for r in ConsentRecord.objects.filter(subject=subject)}
    assert receipts == {given.pk: "1", withdrawn.pk: "2", recruitment.pk: "2"}


@pytest.mark.django_db
def test_the_service_refuses_a_form_without_its_required_consents(demo_purposes):
    only_marketing = list(Purpose.objects.filter(slug="marketing"))
    with pytest.raises(RequiredConsentMissing, match="recruitment"):
        submission_receive(key=uuid.uuid4(), kind="apply",
                           data={"full_name": "Baraka Mwangi", "email": "baraka@example.org"},
                           purposes=only_marketing,
                           context=CollectionContext(collection_point="apply-form", form_version="t",
                                                     source="web-form"))
    assert not DataSubject.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_an_application_that_fails_after_its_id_scan_was_stored_leaves_no_file(demo_purposes, settings, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the confirmation could not be written")

    monkeypatch.setattr(consent_services, "notifications_queue", broken)
    with pytest.raises(RuntimeError):
        submission_receive(key=uuid.uuid4(), kind="apply",
                           data={"full_name": "Baraka Mwangi", "email": "baraka@example.org"},
                           purposes=list(Purpose.objects.filter(slug__in=["recruitment", "share-with-employer"])),
                           context=CollectionContext(collection_point="apply-form", form_version="t",
                                                     source="web-form"),
                           document=PDF_BYTES)
    assert not DataSubject.objects.exists()
    assert [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()] == []
