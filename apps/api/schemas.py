"""The API's request and response bodies: what the OpenAPI schema at /api/v1/openapi.json describes."""

import uuid
from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import AwareDatetime

from apps.consent.models import ConsentRecord
from apps.subjects.models import ErasureJob, PersonalRecord, ServiceEngagement, Vacancy

LegalIdType = Literal[tuple(PersonalRecord.LegalIdType.values)]  # type: ignore[misc]
ObtainedHow = Literal[tuple(ConsentRecord.ObtainedHow.values)]  # type: ignore[misc]
REFERENCE_PATTERN = r"^[A-Za-z0-9._:/-]*$"
Reference = Field("", max_length=64, pattern=REFERENCE_PATTERN,
                  description="Your own reference (letters, digits, . _ : / -); never personal data.")


class ErrorOut(Schema):
    code: str = Field(description="Stable, machine-readable: e.g. token_expired, validation_failed.")
    message: str
    fields: list[dict[str, str]] = Field(description="For validation_failed: [{field, message}].")


class RefereeIn(Schema):
    name: str = Field(max_length=100)
    phone: str = Field(max_length=32, description="International or Kenyan format.")
    relationship: str = Field(max_length=100)


class PersonIn(Schema):
    """The fields of the application form, validated the same way."""

    full_name: str = Field(max_length=100)
    date_of_birth: date = Field(description="YYYY-MM-DD. A candidate younger than the minimum age for applicants "
                                            "(18 unless configured otherwise) is refused with `candidate_minor`, "
                                            "nothing stored. Checked, never stored.")
    email: str = Field(max_length=254)
    mobile: str = Field(max_length=32)
    address: str = Field(max_length=1000)
    legal_id_type: LegalIdType
    legal_id_number: str = Field(max_length=20)
    referees: list[RefereeIn] = Field(min_length=2, max_length=2)
    experience: str = Field("", max_length=2000, description="Professional details: their work experience, in "
                                                             "their words (optional).")


class ConsentEvidenceIn(Schema):
    """The consent you hold from the person: which purposes, when and how you obtained it."""

    purposes: list[str] = Field(min_length=1, max_length=20, description="Purpose slugs, e.g. recruitment.")
    obtained_at: AwareDatetime = Field(description="With a time zone, e.g. 2026-11-27T10:00:00+03:00.")
    obtained_how: ObtainedHow
    reference: str = Reference


class CandidateIn(Schema):
    vacancy: uuid.UUID
    reference: str = Reference
    language: Literal["en", "sw"] = Field("en", description="The language of the person's confirmation.")
    person: PersonIn
    consent: ConsentEvidenceIn


class EngagementOut(Schema):
    id: uuid.UUID
    reference: str
    vacancy: uuid.UUID | None
    status: Literal[tuple(ServiceEngagement.Status.values)]  # type: ignore[valid-type]
    opened_at: datetime
    completed_at: datetime | None


class CandidateOut(Schema):
    public_id: uuid.UUID
    engagement: EngagementOut


class CandidateStatusOut(Schema):
    public_id: uuid.UUID
    status: Literal["active", "erased", "ended"]
    erased_at: datetime | None
    engagements: list[EngagementOut]


class VacancyOut(Schema):
    id: uuid.UUID
    title: str
    description: str
    location: str
    closing_date: date
    status: Literal[tuple(Vacancy.Status.values)]  # type: ignore[valid-type]


class CompletedOut(Schema):
    engagement: EngagementOut
    erasure_jobs: list[uuid.UUID] = Field(description="Poll GET /api/v1/erasures/{job_id}. Empty while the "
                                                      "person has another open service, and always for a person "
                                                      "who applied on our website (not handed over by you).")


class VacancyClosedOut(Schema):
    vacancy: VacancyOut
    engagements_completed: int
    erasure_jobs: list[uuid.UUID]


class CertificateOut(Schema):
    id: uuid.UUID
    subject_id: uuid.UUID
    reason: str
    categories: list[str]
    counts: dict[str, int]
    key_destroyed_at: datetime
    completed_at: datetime
    signed: str = Field(description="The certificate as a JWS (Ed25519); keys at /.well-known/privacy-proofs/"
                                    "keys.json.")


class ErasureOut(Schema):
    id: uuid.UUID
    state: Literal[tuple(ErasureJob.State.values)]  # type: ignore[valid-type]
    reason: str
    requested_at: datetime
    finished_at: datetime | None
    held: bool = Field(description="Part kept under a legal hold: the certificate comes when the hold ends.")
    certificate: CertificateOut | None


def engagement_out(engagement: ServiceEngagement) -> dict:
    return {"id": engagement.pk, "reference": engagement.reference, "vacancy": engagement.vacancy_id,
            "status": engagement.status, "opened_at": engagement.opened_at, "completed_at": engagement.completed_at}


def vacancy_out(vacancy: Vacancy) -> dict:
    return {"id": vacancy.pk, "title": vacancy.title, "description": vacancy.description,
            "location": vacancy.location, "closing_date": vacancy.closing_date, "status": vacancy.status}
