"""A client company hands over a candidate for one of its vacancies (through the API, apps.api).

The hand-over opens (or, for the same company, renews) an application on a record held for that company
alone (DataSubject.holder): it never joins a person another company handed over or who applied to us
themselves. Its consent is the company's assertion, kept with its evidence; it never gives again a purpose
the person withdrew, never removes a number we hold, never ends a private link (apps.recruitment.intake)."""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from apps.audit.services import Actor, Verb, audit_record
from apps.consent.models import ConsentRecord, Purpose
from apps.consent.services import CollectionContext, purposes_shown, supported_language
from apps.core.transfers import TransferRefused, transfer_check
from apps.subjects.models import Controller, DataSubject, ServiceEngagement, Vacancy
from apps.subjects.services.vacancies import VacancyClosed

from .forms import PersonalDetailsForm, validate_applicant_age
from .intake import RequiredConsentMissing, submission_receive

API_FORM_VERSION = "api-v1"
FORM_FIELDS = {"full_name": "person.full_name", "email": "person.email", "mobile": "person.mobile",
               "address": "person.address", "legal_id_type": "person.legal_id_type",
               "legal_id_number": "person.legal_id_number",
               **{f"referee_{i}_{part}": f"person.referees.{i - 1}.{part}" for i in (1, 2)
                  for part in ("name", "phone", "relationship")}}


@dataclass
class HandOverRefused(Exception):
    """Nothing was stored. `code`: not_found, vacancy_closed or validation_failed; `fields` name the fields
    and say what is wrong, never quoting a value sent."""

    code: str
    fields: list[dict] = field(default_factory=list)

    def __str__(self) -> str:
        return self.code


def _check_age(person: dict) -> None:
    """The application form's age rule (Data Protection Act 2019, s.33): a child is refused as a whole
    (candidate_minor); the date itself is not stored."""
    try:
        validate_applicant_age(date.fromisoformat(str(person.get("date_of_birth", ""))))
    except ValueError:
        raise HandOverRefused("validation_failed", [{"field": "person.date_of_birth", "message": _(
            "Enter the date of birth as YYYY-MM-DD.")}]) from None
    except ValidationError as error:
        code = "candidate_minor" if error.code == "under_age" else "validation_failed"
        raise HandOverRefused(code, [{"field": "person.date_of_birth", "message": str(error.message)}]) from None


def _validated_person(person: dict) -> dict:
    """The application form's own validation; errors name the field, never the value sent."""
    _check_age(person)
    data = {k: person.get(k, "") for k in ("full_name", "email", "mobile", "address", "legal_id_type",
                                          "legal_id_number")}
    for i, referee in enumerate(person.get("referees", [])[:2], start=1):
        for part in ("name", "phone", "relationship"):
            data[f"referee_{i}_{part}"] = referee.get(part, "")
    form = PersonalDetailsForm(data=data)
    if not form.is_valid():
        raise HandOverRefused("validation_failed", [
            {"field": FORM_FIELDS.get(name, name), "message": _field_message(error)}
            for name, errors in form.errors.as_data().items() for error in errors])
    values = form.record_data()
    values["experience"] = (person.get("experience") or "").strip()
    return values


def _field_message(error) -> str:
    """The form's message, unless it would quote the value sent."""
    params = error.params or {}
    if "value" in params or "%(value)" in str(error.message):
        return str(_("This value is not valid."))
    return str(error.message) % params if params else str(error.message)


def _purposes(slugs: list[str], shown: list[Purpose]) -> list[Purpose]:
    offered = {p.slug: p for p in shown}
    unknown = sorted(set(slugs) - set(offered))
    if unknown:
        raise HandOverRefused("validation_failed", [{"field": "consent.purposes", "message": _(
            "Unknown purpose. The purposes you may give: %(slugs)s") % {"slugs": ", ".join(offered)}}])
    missing = sorted(slug for slug, p in offered.items() if p.required and slug not in slugs)
    if missing:
        raise HandOverRefused("validation_failed", [{"field": "consent.purposes", "message": _(
            "The application needs consent to: %(slugs)s") % {"slugs": ", ".join(missing)}}])
    return [offered[slug] for slug in dict.fromkeys(slugs)]


def candidate_receive(*, controller: Controller, vacancy_id: uuid.UUID, person: dict, consent: dict,
                      language: str = "", reference: str = "", key: uuid.UUID) -> tuple[DataSubject,
                                                                                        ServiceEngagement]:
    """Store a candidate a client company hands over for its open vacancy, with the consent evidence it holds:
    the record held for this company (a new one, or its own earlier one found by the email's blind index), the
    application, the receipts (source "controller") and the confirmation to the person naming the company.
    `key` is the intake's own key: the same key again finds the same submission. HandOverRefused if not."""
    vacancy = Vacancy.objects.filter(controller=controller, pk=vacancy_id).first()
    if vacancy is None:
        raise HandOverRefused("not_found", [{"field": "vacancy", "message": _("No such vacancy of yours.")}])
    if not vacancy.is_open:
        raise HandOverRefused("vacancy_closed")
    _transfer_allowed(controller)
    values = _validated_person(person)
    # The application's purposes with the words in force in the person's language (cached until a purpose changes):
    # each receipt names the notice version the person is told of, without reading it again.
    shown = purposes_shown(kind="apply", language=supported_language(language or settings.LANGUAGE_CODE))
    purposes = _purposes(consent["purposes"], shown)
    obtained_at = datetime.fromisoformat(str(consent["obtained_at"]))
    if obtained_at > timezone.now() + timedelta(minutes=5):
        raise HandOverRefused("validation_failed", [{"field": "consent.obtained_at",
                                                     "message": _("Consent cannot be obtained in the future.")}])
    context = CollectionContext(
        collection_point="api", form_version=API_FORM_VERSION, source=ConsentRecord.Source.CONTROLLER,
        language=language, controller=controller, obtained_at=obtained_at, obtained_how=consent["obtained_how"],
        evidence_reference=consent.get("reference", ""), notices=tuple((p.slug, p.notice.pk) for p in purposes))
    try:
        received = submission_receive(key=key, kind="apply", data=values, purposes=purposes, context=context,
                                      vacancy=vacancy, reference=reference, offered=shown)
    except VacancyClosed:
        raise HandOverRefused("vacancy_closed") from None
    except RequiredConsentMissing:
        raise HandOverRefused("validation_failed", [{"field": "consent.purposes",
                                                     "message": _("A required consent is missing.")}]) from None
    subject = received.submission.subject
    return subject, ServiceEngagement.objects.get(subject=subject, vacancy=vacancy)


def _transfer_allowed(controller: Controller) -> None:
    """A client company processing candidates outside Kenya needs a recorded safeguard (Act s.48; General
    Regulations reg. 40) before we take, hold and report on candidates for it: refused (transfer_not_allowed) and
    audited otherwise, nothing stored."""
    try:
        transfer_check(country=controller.country, safeguard=controller.transfer_safeguard)
    except TransferRefused:
        audit_record(actor=Actor.system("api"), verb=Verb.TRANSFER_REFUSED, target="",
                     detail={"controller": str(controller.pk), "country": controller.country})
        raise HandOverRefused("transfer_not_allowed") from None
