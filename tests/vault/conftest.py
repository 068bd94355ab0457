"""Fixtures the vault tests share: a consent receipt and a deletion certificate."""

import pytest

from apps.consent.models import ConsentRecord, Purpose
from apps.consent.services import CollectionContext, consent_give
from apps.subjects import services
from tests.factories import EngagementFactory, SubjectFactory


@pytest.fixture
def receipt(demo_purposes) -> ConsentRecord:
    return consent_give(subject=SubjectFactory(), purpose=Purpose.objects.get(slug="recruitment"),
                        context=CollectionContext(collection_point="apply-form", form_version="2", source="web-form"))


@pytest.fixture
def certificate():
    return services.subject_erase(subject=EngagementFactory().subject, reason="subject-request")
