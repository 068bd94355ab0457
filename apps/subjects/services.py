"""Everything done to a person's data: create, correct, documents, engagements, erasure."""

import logging
import uuid
from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber
from phonenumber_field.phonenumber import to_python as phone_to_python

from apps.audit.services import Actor, audit_record
from apps.core.jobs import enqueue_on_commit
from apps.vault import files as vault_files
from apps.vault.models import DeletionCertificate
from apps.vault.routers import vault_db
from apps.vault.services import blind_index_for, datakey_create, datakey_destroy

from .models import (
    DataSubject,
    Enquiry,
    ErasureJob,
    IdentityDocument,
    LegalHold,
    PersonalRecord,
    ServiceEngagement,
    SubjectLookup,
)

logger = logging.getLogger(__name__)

Reason = DeletionCertificate.Reason
RECORD_FIELDS = ["full_name", "email", "mobile", "address", "referees", "legal_id_type", "legal_id_number"]


# --- lookups (blind indexes) -------------------------------------------------------------------
def normalise_email(email: str) -> str:
    return email.strip().lower()


def normalise_phone(phone: str | PhoneNumber) -> str | None:
    number = phone_to_python(phone, region=settings.PHONENUMBER_DEFAULT_REGION)
    if not isinstance(number, PhoneNumber) or not number.is_valid():
        return None
    return number.as_e164


def _lookups_refresh(*, subject: DataSubject, email: str | None, mobile: PhoneNumber | str | None) -> None:
    wanted = {}
    if email:
        wanted[SubjectLookup.Kind.EMAIL] = blind_index_for(kind="email", normalised=normalise_email(email))
    phone = normalise_phone(mobile) if mobile else None
    if phone:
        wanted[SubjectLookup.Kind.PHONE] = blind_index_for(kind="phone", normalised=phone)
    SubjectLookup.objects.filter(subject=subject).exclude(kind__in=list(wanted)).delete()
    for kind, digest in wanted.items():
        SubjectLookup.objects.update_or_create(subject=subject, kind=kind, defaults={"digest": digest})


# --- people and their record ---------------------------------------------------------------------
@transaction.atomic
def subject_create(*, actor: Actor, full_name: str, email: str, mobile: PhoneNumber | str | None = None,
                   address: str = "", referees: Iterable[dict] = (), legal_id_type: str = "",
                   legal_id_number: str = "") -> DataSubject:
    subject = DataSubject.objects.create()
    datakey_create(subject_id=subject.pk)
    record = PersonalRecord(
        subject=subject, full_name=full_name, email=normalise_email(email), mobile=mobile or None,
        address=address, referees=list(referees), legal_id_type=legal_id_type, legal_id_number=legal_id_number,
    )
    record.full_clean(exclude=["subject"])
    record.save()
    _lookups_refresh(subject=subject, email=record.email, mobile=record.mobile)
    audit_record(actor=actor, verb="subject.created", target=subject.pk,
                 detail={"fields": [f for f in RECORD_FIELDS if getattr(record, f)]})
    return subject


@transaction.atomic
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
        _lookups_refresh(subject=subject, email=record.email, mobile=record.mobile)
    if "email" in changed:  # links sent to the old address stop working
        DataSubject.objects.filter(pk=subject.pk).update(link_version=F("link_version") + 1)
        subject.refresh_from_db(fields=["link_version"])
    audit_record(actor=actor, verb="record.corrected", target=subject.pk, detail={"fields": sorted(changed)})
    return changed


@transaction.atomic
def enquiry_add(*, subject: DataSubject, actor: Actor, message: str) -> Enquiry:
    enquiry = Enquiry(subject=subject, message=message)
    enquiry.full_clean(exclude=["subject"])
    enquiry.save()
    audit_record(actor=actor, verb="enquiry.received", target=subject.pk, detail={"enquiry": str(enquiry.pk)})
    return enquiry


@transaction.atomic
def subject_links_revoke(*, subject: DataSubject, actor: Actor) -> int:
    """Every private link issued so far stops working. Returns the new link version."""
    DataSubject.objects.filter(pk=subject.pk).update(link_version=F("link_version") + 1)
    subject.refresh_from_db(fields=["link_version"])
    audit_record(actor=actor, verb="links.revoked", target=subject.pk)
    return subject.link_version


def lookup_digest(address: str) -> tuple[str, str]:
    """(kind, blind index) of an email address or phone number; ("", "") if it is neither."""
    if "@" in address:
        return SubjectLookup.Kind.EMAIL, blind_index_for(kind="email", normalised=normalise_email(address))
    if e164 := normalise_phone(address):
        return SubjectLookup.Kind.PHONE, blind_index_for(kind="phone", normalised=e164)
    return "", ""


def subjects_matching(*, kind: str, digest: str) -> list[DataSubject]:
    """Every active person with this email or phone (someone may have applied twice)."""
    return list(DataSubject.objects.filter(status=DataSubject.Status.ACTIVE, lookups__kind=kind,
                                           lookups__digest=digest).order_by("created_at"))


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


# --- identity documents ---------------------------------------------------------------------------
class DocumentRejected(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # "too-large", "empty" or "type"


SIGNATURES = [
    (b"%PDF-", IdentityDocument.ContentType.PDF),
    (b"\xff\xd8\xff", IdentityDocument.ContentType.JPEG),
    (b"\x89PNG\r\n\x1a\n", IdentityDocument.ContentType.PNG),
]


def sniff_content_type(head: bytes) -> str | None:
    """The type from the bytes themselves; the client's filename and content type are ignored."""
    for magic, content_type in SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None


@transaction.atomic
def document_add(*, subject: DataSubject, actor: Actor, data: bytes) -> IdentityDocument:
    if not data:
        raise DocumentRejected("empty")
    if len(data) > IdentityDocument.MAX_BYTES:
        raise DocumentRejected("too-large")
    content_type = sniff_content_type(data[:16])
    if content_type is None:
        raise DocumentRejected("type")
    document = IdentityDocument(id=uuid.uuid4(), subject=subject, content_type=content_type, size=len(data))
    document.stored_name = vault_files.file_store(subject_id=subject.pk, document_id=document.pk, data=data)
    try:
        document.save(force_insert=True)
    except Exception:
        vault_files.file_delete(name=document.stored_name)
        raise
    audit_record(actor=actor, verb="document.added", target=subject.pk,
                 detail={"document": str(document.pk), "type": content_type})
    return document


def document_read(*, document: IdentityDocument) -> Iterator[bytes]:
    return vault_files.file_open(subject_id=document.subject_id, document_id=document.pk, name=document.stored_name)


# --- engagements ----------------------------------------------------------------------------------
@transaction.atomic
def engagement_open(*, subject: DataSubject, actor: Actor, service: str, reference: str = "",
                    controller=None) -> ServiceEngagement:
    engagement = ServiceEngagement.objects.create(subject=subject, service=service, reference=reference,
                                                  controller=controller)
    audit_record(actor=actor, verb="engagement.opened", target=subject.pk,
                 detail={"engagement": str(engagement.pk), "service": service})
    return engagement


@transaction.atomic
def engagement_complete(*, engagement: ServiceEngagement, actor: Actor) -> ErasureJob | None:
    """Mark the service complete. If it was the person's last open one, their erasure is queued."""
    # Lock the person first: two of their engagements completed at once must not each see the
    # other still open and both skip the erasure.
    DataSubject.objects.select_for_update().get(pk=engagement.subject_id)
    engagement = ServiceEngagement.objects.select_for_update().get(pk=engagement.pk)
    if not engagement.is_open:
        return None
    engagement.status = ServiceEngagement.Status.COMPLETED
    engagement.completed_at = timezone.now()
    engagement.save(update_fields=["status", "completed_at"])
    audit_record(actor=actor, verb="engagement.completed", target=engagement.subject_id,
                 detail={"engagement": str(engagement.pk)})
    still_open = ServiceEngagement.objects.filter(subject_id=engagement.subject_id,
                                                  status=ServiceEngagement.Status.OPEN).exists()
    if still_open:
        return None
    return erasure_request(subject_id=engagement.subject_id, reason=Reason.SERVICE_COMPLETE, actor=actor)


# --- erasure --------------------------------------------------------------------------------------
@transaction.atomic
def erasure_request(*, subject_id: uuid.UUID, reason: str, actor: Actor) -> ErasureJob:
    """Write the erasure job, then queue it when the transaction commits. One unfinished job per person."""
    existing = ErasureJob.objects.filter(subject_id=subject_id).exclude(state=ErasureJob.State.DONE).first()
    if existing:
        return existing
    try:
        with transaction.atomic():
            job = ErasureJob.objects.create(subject_id=subject_id, reason=reason)
    except IntegrityError:  # a concurrent request wrote it first
        return ErasureJob.objects.filter(subject_id=subject_id).exclude(state=ErasureJob.State.DONE).get()
    audit_record(actor=actor, verb="erasure.requested", target=subject_id,
                 detail={"job": str(job.pk), "reason": reason})
    _publish_on_commit(job.pk)
    return job


def _publish_on_commit(job_id: uuid.UUID) -> None:
    """Queue the job after commit and stamp `queued_at` once the broker has it: the sweep can then
    tell a job never published (broker down) from one merely waiting in a long queue."""
    from .tasks import subject_erase_task

    def stamp() -> None:
        ErasureJob.objects.filter(pk=job_id).update(queued_at=timezone.now())

    enqueue_on_commit(subject_erase_task, str(job_id), published=stamp)


def erasure_job_run(*, job_id: uuid.UUID) -> DeletionCertificate | None:
    """Claim the job (only one worker can), erase, mark done. Safe to deliver twice."""
    claimed = ErasureJob.objects.filter(pk=job_id, state=ErasureJob.State.PENDING).update(
        state=ErasureJob.State.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not claimed:
        return None
    job = ErasureJob.objects.select_related("subject").get(pk=job_id)
    try:
        certificate = subject_erase(subject=job.subject, reason=job.reason, job_id=str(job.pk))
    except Exception:
        ErasureJob.objects.filter(pk=job_id, state=ErasureJob.State.RUNNING).update(state=ErasureJob.State.PENDING)
        raise
    ErasureJob.objects.filter(pk=job_id).update(
        state=ErasureJob.State.DONE, finished_at=timezone.now(), held=certificate is None,
        certificate_id=certificate.pk if certificate else None,
    )
    return certificate


def _active_holds(subject: DataSubject) -> list[LegalHold]:
    return list(LegalHold.objects.filter(subject=subject, until__gt=timezone.now()))


def subject_erase(*, subject: DataSubject, reason: str, job_id: str = "") -> DeletionCertificate | None:
    """Crypto-shred one person.

    1. Destroy the wrapped data key, in its own committed transaction: from that moment every
       copy of their data (database, backups, replicas, stored files) is unreadable.
    2. Delete their files, then rows and blind indexes.
    3. Write the deletion certificate (no personal data).
    Running it again changes nothing and returns the same certificate. Under an active legal
    hold, everything not held is erased now and None is returned; the key goes when the hold ends.
    """
    existing = DeletionCertificate.objects.using(vault_db()).filter(subject_id=subject.pk).first()
    if existing:
        return existing
    holds = _active_holds(subject)
    if holds:
        _erase_unheld(subject=subject, holds=holds, job_id=job_id)
        return None
    key_destroyed_at = timezone.now()
    datakey_destroy(subject_id=subject.pk)
    logger.info("data key destroyed subject=%s job=%s", subject.pk, job_id)
    counts = _erase_rows(subject_id=subject.pk)
    categories = _categories(counts)
    with transaction.atomic():
        DataSubject.objects.filter(pk=subject.pk).update(status=DataSubject.Status.ERASED, erased_at=timezone.now())
        try:
            with transaction.atomic(using=vault_db()):
                certificate = DeletionCertificate.objects.using(vault_db()).create(
                    id=uuid.uuid4(), subject_id=subject.pk, reason=reason, categories=categories, counts=counts,
                    key_destroyed_at=key_destroyed_at, completed_at=timezone.now(), job_id=job_id,
                )
        except IntegrityError:  # a concurrent run certified first
            return DeletionCertificate.objects.using(vault_db()).get(subject_id=subject.pk)
        audit_record(actor=Actor.system(job_id), verb="subject.erased", target=subject.pk,
                     detail={"reason": reason, "certificate": str(certificate.pk), "counts": counts})
    logger.info("subject erased subject=%s certificate=%s", subject.pk, certificate.pk)
    return certificate


def _categories(counts: dict[str, int]) -> list[str]:
    kinds = {"records": ["identity", "contact", "address", "referees", "legal-id"], "documents": ["id-documents"],
             "enquiries": ["messages"],
             "lookups": ["lookup-indexes"], "legal_holds": ["legal-holds"]}
    return [c for key, cats in kinds.items() if counts.get(key) for c in cats]


def _erase_rows(*, subject_id: uuid.UUID) -> dict[str, int]:
    """Delete files first (their names come from the rows), then the rows, in one transaction."""
    from apps.consent.services import submissions_erase_for
    from apps.notifications.services import notifications_erase_for
    from apps.selfservice.services import stepup_codes_erase_for

    for name in IdentityDocument.objects.filter(subject_id=subject_id).values_list("stored_name", flat=True):
        vault_files.file_delete(name=name)
    with transaction.atomic():
        return {
            "notifications": notifications_erase_for(subject_id=subject_id),
            "stepup_codes": stepup_codes_erase_for(subject_id=subject_id),
            "submissions": submissions_erase_for(subject_id=subject_id),
            "documents": IdentityDocument.objects.filter(subject_id=subject_id).delete()[0],
            "records": PersonalRecord.objects.filter(subject_id=subject_id).delete()[0],
            "enquiries": Enquiry.objects.filter(subject_id=subject_id).delete()[0],
            "lookups": SubjectLookup.objects.filter(subject_id=subject_id).delete()[0],
            "legal_holds": LegalHold.objects.filter(subject_id=subject_id).delete()[0],
        }


@transaction.atomic
def _erase_unheld(*, subject: DataSubject, holds: list[LegalHold], job_id: str) -> None:
    kept = {name for hold in holds for name in hold.fields}
    record = PersonalRecord.objects.select_for_update().filter(subject=subject).first()
    erased = []
    if record:
        for name in RECORD_FIELDS:
            if name in kept:
                continue
            field = PersonalRecord._meta.get_field(name)
            empty = field.get_default() if not field.null else None
            if getattr(record, name) not in (None, "", []):
                setattr(record, name, empty)
                erased.append(name)
        if erased:
            record.save(update_fields=erased)
            _lookups_refresh(subject=subject, email=record.email if "email" in kept else None,
                             mobile=record.mobile if "mobile" in kept else None)
    if "documents" not in kept:
        for document in IdentityDocument.objects.filter(subject=subject):
            transaction.on_commit(lambda name=document.stored_name: vault_files.file_delete(name=name))
            document.delete()
            erased.append("documents")
    # Everything else that holds their data and no hold names: messages, notifications, codes.
    from apps.consent.services import submissions_erase_for
    from apps.notifications.services import notifications_erase_for
    from apps.selfservice.services import stepup_codes_erase_for

    if "message" not in kept and Enquiry.objects.filter(subject=subject).delete()[0]:
        erased.append("message")
    if notifications_erase_for(subject_id=subject.pk):
        erased.append("notifications")
    stepup_codes_erase_for(subject_id=subject.pk)
    submissions_erase_for(subject_id=subject.pk)
    audit_record(actor=Actor.system(job_id), verb="subject.partially_erased", target=subject.pk,
                 detail={"erased": sorted(set(erased)), "held_until": max(h.until for h in holds).isoformat()})


@transaction.atomic
def legal_hold_place(*, subject: DataSubject, actor: Actor, basis: str, fields: list[str], until) -> LegalHold:
    allowed = set(RECORD_FIELDS) | {"documents", "message"}
    if not fields or set(fields) - allowed:
        raise ValueError("a legal hold names record fields, 'documents' or 'message'")
    hold = LegalHold.objects.create(subject=subject, basis=basis, fields=sorted(fields), until=until)
    audit_record(actor=actor, verb="legal_hold.placed", target=subject.pk,
                 detail={"fields": sorted(fields), "until": until.isoformat()})
    return hold


def erasure_jobs_redrive(*, older_than: timedelta = timedelta(minutes=1), published_for: timedelta | None = None,
                         running_for: timedelta | None = None) -> int:
    """Re-queue erasures that will not happen by themselves. Beat runs this.

    - never published (the broker was down) and older than `older_than`;
    - published, still pending after the broker's visibility timeout (the message was lost);
    - running past the task's hard time limit (its worker died).
    A job merely waiting in a long queue is left alone, so a backlog is not published twice."""
    now = timezone.now()
    if published_for is None:
        published_for = timedelta(seconds=settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"])
    if running_for is None:
        running_for = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 30)
    running_cutoff = now - running_for
    stale = ErasureJob.objects.filter(
        Q(state=ErasureJob.State.PENDING, queued_at__isnull=True, created_at__lt=now - older_than)
        | Q(state=ErasureJob.State.PENDING, queued_at__lt=now - published_for)
        | Q(state=ErasureJob.State.RUNNING, started_at__lt=running_cutoff)
    )
    count = 0
    for job_id in stale.values_list("pk", flat=True).iterator(chunk_size=500):
        with transaction.atomic():
            # A running job past the cut-off lost its worker; hand it back.
            ErasureJob.objects.filter(pk=job_id, state=ErasureJob.State.RUNNING,
                                      started_at__lt=running_cutoff).update(state=ErasureJob.State.PENDING)
            _publish_on_commit(job_id)
        count += 1
    return count


def enforce_retention(*, now=None) -> int:
    """Queue erasure of what is past retention: records left without a service for
    ABANDONED_RECORD_DAYS, and people whose last legal hold has ended. Beat runs this."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ABANDONED_RECORD_DAYS)
    active = DataSubject.objects.filter(status=DataSubject.Status.ACTIVE)
    abandoned = (
        active.filter(created_at__lt=cutoff)
        .exclude(legal_holds__until__gt=now)  # a hold keeps them until it ends
        .annotate(last_opened=Max("engagements__opened_at"))
        .filter(Q(last_opened__isnull=True) | Q(last_opened__lt=cutoff))
        .exclude(engagements__status=ServiceEngagement.Status.OPEN)
    )
    holds_ended = (
        active.annotate(hold_until=Max("legal_holds__until"))
        .filter(hold_until__lt=now)
        .exclude(engagements__status=ServiceEngagement.Status.OPEN)
    )
    subject_ids = set(abandoned.values_list("pk", flat=True)) | set(holds_ended.values_list("pk", flat=True))
    for subject_id in subject_ids:
        erasure_request(subject_id=subject_id, reason=Reason.RETENTION, actor=Actor.system("enforce_retention"))
    return len(subject_ids)


def erasures_reapply() -> int:
    """After restoring the main database from a backup: erase again everyone with a certificate.

    Certificates live in the key store, which is not restored, so they name exactly the people
    who must not come back. Their keys are gone; this removes the unreadable rows and files."""
    count = 0
    certified = DeletionCertificate.objects.using(vault_db()).values_list("subject_id", flat=True)
    for subject_id in certified.iterator(chunk_size=1000):
        subject = DataSubject.objects.filter(pk=subject_id).first()
        if subject is None:
            continue
        has_rows = (
            subject.status != DataSubject.Status.ERASED
            or PersonalRecord.objects.filter(subject_id=subject_id).exists()
            or IdentityDocument.objects.filter(subject_id=subject_id).exists()
            or SubjectLookup.objects.filter(subject_id=subject_id).exists()
            or Enquiry.objects.filter(subject_id=subject_id).exists()
        )
        if not has_rows:
            continue
        datakey_destroy(subject_id=subject_id)  # a restored key store must not bring a key back
        counts = _erase_rows(subject_id=subject_id)
        with transaction.atomic():
            DataSubject.objects.filter(pk=subject_id).update(status=DataSubject.Status.ERASED,
                                                             erased_at=timezone.now())
            audit_record(actor=Actor.system("reapply_erasures"), verb="subject.erasure_reapplied",
                         target=subject_id, detail={"counts": counts})
        count += 1
    return count


def orphans_remove(*, older_than: timedelta = timedelta(hours=1)) -> dict[str, int]:
    """Remove what a rolled-back submission can leave behind: stored files without a document row,
    and (with a separate key store) data keys without a person. Beat runs this with retention."""
    from apps.vault.models import DataKey

    cutoff = timezone.now() - older_than
    known = set(IdentityDocument.objects.values_list("stored_name", flat=True))
    files = [name for name in vault_files.files_older_than(cutoff) if name not in known]
    for name in files:
        vault_files.file_delete(name=name)
    people = set(DataSubject.objects.values_list("pk", flat=True))
    keys = [k for k in DataKey.objects.using(vault_db()).filter(created_at__lt=cutoff)
            .values_list("subject_id", flat=True) if k not in people]
    for subject_id in keys:
        datakey_destroy(subject_id=subject_id)
    if files or keys:
        logger.info("orphans removed files=%s keys=%s", len(files), len(keys))
    return {"files": len(files), "keys": len(keys)}
