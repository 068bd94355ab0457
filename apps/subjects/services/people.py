"""People and their record: create, correct, find (blind indexes), messages, private-link versions."""

import uuid
from collections.abc import Iterable

from django.conf import settings
from django.db.models import F
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber
from phonenumber_field.phonenumber import to_python as phone_to_python

from apps.audit.services import Actor, Verb, audit_record, audited_transaction
from apps.core import datamap
from apps.vault.services import blind_index_for, datakey_create

from ..models import (
    REVEAL_REASONS_WHILE_RESTRICTED,
    Controller,
    DataSubject,
    Enquiry,
    PersonalRecord,
    Reveal,
    ServiceEngagement,
    SubjectLookup,
    SubjectRestricted,
)
from .restriction import unseen_until_commit

RECORD_FIELDS = ["full_name", "email", "mobile", "address", "referees", "legal_id_type", "legal_id_number",
                 "experience"]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_phone(phone: str | PhoneNumber) -> str | None:
    number = phone_to_python(phone, region=settings.PHONENUMBER_DEFAULT_REGION)
    if not isinstance(number, PhoneNumber) or not number.is_valid():
        return None
    return number.as_e164


def _lookups(*, subject: DataSubject, email: str | None, mobile: PhoneNumber | str | None) -> list[SubjectLookup]:
    wanted = []
    if email:
        wanted.append(SubjectLookup(subject=subject, kind=SubjectLookup.Kind.EMAIL,
                                    digest=blind_index_for(kind="email", normalised=normalise_email(email))))
    phone = normalise_phone(mobile) if mobile else None
    if phone:
        wanted.append(SubjectLookup(subject=subject, kind=SubjectLookup.Kind.PHONE,
                                    digest=blind_index_for(kind="phone", normalised=phone)))
    return wanted


def lookups_refresh(*, subject: DataSubject, email: str | None, mobile: PhoneNumber | str | None) -> None:
    wanted = {lookup.kind: lookup.digest for lookup in _lookups(subject=subject, email=email, mobile=mobile)}
    SubjectLookup.objects.filter(subject=subject).exclude(kind__in=list(wanted)).delete()
    for kind, digest in wanted.items():
        SubjectLookup.objects.update_or_create(subject=subject, kind=kind, defaults={"digest": digest})


def activity_touch(*, subject: DataSubject) -> None:
    """Something happened on the person's open services: their retention clock starts again."""
    ServiceEngagement.objects.filter(subject=subject, status=ServiceEngagement.Status.OPEN).update(
        last_activity_at=timezone.now(), retention_notice_at=None)


@audited_transaction(savepoint=False)
def subject_create(*, actor: Actor, full_name: str, email: str, mobile: PhoneNumber | str | None = None,
                   address: str = "", referees: Iterable[dict] = (), legal_id_type: str = "",
                   legal_id_number: str = "", experience: str = "", holder: Controller | None = None) -> DataSubject:
    subject = DataSubject.objects.create(holder=holder)
    unseen_until_commit(subject)
    datakey_create(subject_id=subject.pk)
    record = PersonalRecord(
        subject=subject, full_name=full_name, email=normalise_email(email), mobile=mobile or None,
        address=address, referees=list(referees), legal_id_type=legal_id_type, legal_id_number=legal_id_number,
        experience=experience,
    )
    record.full_clean(exclude=["subject"], validate_unique=False)  # a new person: nothing to collide with
    record.save(force_insert=True)
    SubjectLookup.objects.bulk_create(_lookups(subject=subject, email=record.email, mobile=record.mobile))
    audit_record(actor=actor, verb=Verb.SUBJECT_CREATED, target=subject.pk,
                 detail={"fields": [f for f in RECORD_FIELDS if getattr(record, f)]})
    return subject


@audited_transaction()
def record_update(*, subject: DataSubject, actor: Actor, changes: dict) -> list[str]:
    """Correct fields of a person's record. Audits which fields changed, never the values."""
    unknown = set(changes) - set(RECORD_FIELDS)
    if unknown:
        raise ValueError(f"not record fields: {sorted(unknown)}")
    record = PersonalRecord.objects.select_for_update().get(subject=subject)
    changed = [name for name, value in changes.items() if getattr(record, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(record, name, normalise_email(changes[name]) if name == "email" else changes[name])
    record.full_clean(exclude=["subject"])
    record.save(update_fields=[*changed, "updated_at"])
    if {"email", "mobile"} & set(changed):
        lookups_refresh(subject=subject, email=record.email, mobile=record.mobile)
    if {"email", "mobile"} & set(changed):  # links sent to the old address or number stop working
        DataSubject.objects.filter(pk=subject.pk).update(link_version=F("link_version") + 1)
        subject.refresh_from_db(fields=["link_version"])
    audit_record(actor=actor, verb=Verb.RECORD_CORRECTED, target=subject.pk, detail={"fields": sorted(changed)})
    return changed


@audited_transaction(savepoint=False)
def enquiry_add(*, subject: DataSubject, actor: Actor, message: str) -> Enquiry:
    enquiry = Enquiry(subject=subject, message=message)
    enquiry.full_clean(exclude=["subject"])
    enquiry.save()
    audit_record(actor=actor, verb=Verb.ENQUIRY_RECEIVED, target=subject.pk, detail={"enquiry": str(enquiry.pk)})
    return enquiry


@audited_transaction()
def subject_links_revoke(*, subject: DataSubject, actor: Actor) -> int:
    """Every private link issued so far stops working. Returns the new link version."""
    DataSubject.objects.filter(pk=subject.pk).update(link_version=F("link_version") + 1)
    subject.refresh_from_db(fields=["link_version"])
    audit_record(actor=actor, verb=Verb.LINKS_REVOKED, target=subject.pk)
    return subject.link_version


def lookup_digest(address: str) -> tuple[str, str]:
    """(kind, blind index) of an email address or phone number; ("", "") if it is neither."""
    if "@" in address:
        return SubjectLookup.Kind.EMAIL, blind_index_for(kind="email", normalised=normalise_email(address))
    if e164 := normalise_phone(address):
        return SubjectLookup.Kind.PHONE, blind_index_for(kind="phone", normalised=e164)
    return "", ""


ANY_HOLDER = object()  # subjects_matching: every record with the address, whoever it is held for


def subjects_matching(*, kind: str, digest: str, holder: Controller | None | object = ANY_HOLDER) -> list[DataSubject]:
    """Every active person with this email or phone (someone may have applied twice); with `holder`, only the
    records held for that client company, or (None) only people's own records."""
    found = DataSubject.objects.filter(status=DataSubject.Status.ACTIVE, lookups__kind=kind, lookups__digest=digest)
    if holder is not ANY_HOLDER:
        found = found.filter(holder=holder)
    return list(found.order_by("created_at"))


def subjects_find(*, email: str | None = None, phone: str | None = None) -> DataSubject | None:
    """Find an active person by email or phone without decrypting anything."""
    if email:
        kind, digest = SubjectLookup.Kind.EMAIL, blind_index_for(kind="email", normalised=normalise_email(email))
    elif phone and (e164 := normalise_phone(phone)):
        kind, digest = SubjectLookup.Kind.PHONE, blind_index_for(kind="phone", normalised=e164)
    else:
        return None
    return (DataSubject.objects.filter(status=DataSubject.Status.ACTIVE, lookups__kind=kind, lookups__digest=digest)
            .order_by("-created_at").first())


class RevealReasonMissing(ValueError):
    """A reveal without one of the reasons staff may give (empty, or a code we do not know): nothing is shown
    and nothing written, whichever caller asked (the admin form is not the only way in)."""

    def __init__(self) -> None:
        super().__init__("a reveal needs one of the known reasons (Reveal.Reason)")


def reveal_write(*, subject: DataSubject, staff_user, what: str, reason: str, note: str,
            item: uuid.UUID | None = None) -> Reveal:
    """Write the reveal (note sealed with the person's key) and its audit event: the reason code, no values."""
    if not isinstance(reason, str) or reason not in Reveal.Reason.values:
        raise RevealReasonMissing
    if reason not in REVEAL_REASONS_WHILE_RESTRICTED and \
            DataSubject.objects.filter(pk=subject.pk, restricted_at__isnull=False).exists():
        raise SubjectRestricted
    reveal = Reveal(subject=subject, staff_user=staff_user, what=what, item=item, reason=reason,
                    note=note.strip()[:1000])
    reveal.save(force_insert=True)
    detail = {"what": what, "reason": reason, "reveal": str(reveal.pk), "note_given": bool(reveal.note)}
    if item:
        detail["item"] = str(item)
    audit_record(actor=Actor.staff(staff_user), verb=Verb.PII_REVEALED, target=subject.pk, detail=detail)
    return reveal


@audited_transaction()
def subject_reveal(*, subject: DataSubject, staff_user, reason: str,
                   note: str = "") -> PersonalRecord | None:
    """A member of staff with the permission sees the record in clear: audited with the reason."""
    reveal_write(subject=subject, staff_user=staff_user, what=Reveal.What.RECORD, reason=reason, note=note)
    return PersonalRecord.objects.filter(subject=subject).first()


@audited_transaction()
def subject_export(*, subject: DataSubject, actor: Actor) -> dict:
    """Everything the personal-data map holds about the person, holding by holding, with what each part
    is for; audited. The person (behind their link) and staff with the reveal permission use it."""
    body = {"generated_at": timezone.now().isoformat(),
            "controller": {"name": settings.CONTROLLER_NAME, "privacy_officer": settings.PRIVACY_OFFICER_EMAIL},
            "subject_id": str(subject.pk), "restriction": _restriction_export(subject),
            **datamap.export_for(subject_id=subject.pk)}
    audit_record(actor=actor, verb=Verb.DATA_EXPORTED, target=subject.pk)
    return body

def _restriction_export(subject: DataSubject) -> dict:
    subject = DataSubject.objects.get(pk=subject.pk)
    if not subject.is_restricted:
        return {"restricted": False}
    return {"restricted": True, "since": subject.restricted_at.isoformat(), "ground": subject.restriction_ground,
            "ground_text": str(subject.get_restriction_ground_display())}


def enquiry_reveal(*, enquiry: Enquiry, staff_user, reason: str, note: str = "") -> str:
    """The enquiry's message in clear, for answering it: audited with the reason."""
    reveal_write(subject=enquiry.subject, staff_user=staff_user, what=Reveal.What.ENQUIRY,
            item=enquiry.pk, reason=reason, note=note)
    return enquiry.message
