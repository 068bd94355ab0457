"""Erasure: crypto-shredding people one at a time or in batches, driven by the personal-data map.

1. The people's data keys are destroyed in one committed statement: from that moment every copy of
   their data (database, backups, replicas, stored files) is unreadable.
2. Their files, then every mapped row that erasure deletes, set-based, in one transaction that also
   marks them erased, writes their deletion certificates (no personal data) and the audit events.
Nothing here knows the apps above `subjects`: they registered what they hold in the map.
"""

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from apps.audit.services import Actor, Entry, Verb, audit_records, audited_transaction
from apps.core import datamap, liveness
from apps.core.jobs import enqueue_on_commit
from apps.vault import files as vault_files
from apps.vault.models import DataKey, DeletionCertificate
from apps.vault.routers import vault_db
from apps.vault.services import datakeys_destroy
from apps.vault.transparency import certificates_sign, leaves_append

from ..models import DataSubject, ErasureJob, IdentityDocument, LegalHold, PersonalRecord, ServiceEngagement
from .people import RECORD_FIELDS

logger = logging.getLogger(__name__)

Reason = DeletionCertificate.Reason
BATCH = 200  # people per erasure task
HOLDABLE = set(RECORD_FIELDS) | {"documents", "message"}
ENDS_WITH = {Reason.SUBJECT_REQUEST: ServiceEngagement.Status.ENDED_BY_SUBJECT,
             Reason.SERVICE_COMPLETE: ServiceEngagement.Status.COMPLETED,
             Reason.RETENTION: ServiceEngagement.Status.EXPIRED}


# --- asking for erasure -------------------------------------------------------------------------
def erasure_request(*, subject_id: uuid.UUID, reason: str, actor: Actor) -> ErasureJob:
    """Write the erasure job, then queue it when the transaction commits. One unfinished job per person."""
    return erasures_request(subject_ids=[subject_id], reason=reason, actor=actor)[0]


@audited_transaction()
def erasures_request(*, subject_ids: list[uuid.UUID], reason: str, actor: Actor,
                     after_notification: uuid.UUID | None = None) -> list[ErasureJob]:
    """Write an erasure job for each person who has no unfinished one, and publish them after commit
    in batches; their services still open end now. Returns every person's job.

    With `after_notification`, new jobs wait for that message (sent or failed, see erasure_jobs_release)
    instead of being published: the message is sealed with the key the erasure destroys."""
    if not subject_ids:
        return []
    # Whatever the reason, the person's services that are still open end now.
    ServiceEngagement.objects.filter(subject_id__in=subject_ids, status=ServiceEngagement.Status.OPEN).update(
        status=ENDS_WITH[reason], completed_at=timezone.now())
    unfinished = ErasureJob.objects.filter(subject_id__in=subject_ids).exclude(state=ErasureJob.State.DONE)
    have = set(unfinished.values_list("subject_id", flat=True))
    state = ErasureJob.State.WAITING if after_notification else ErasureJob.State.PENDING
    new = [ErasureJob(subject_id=s, reason=reason, state=state, after_notification=after_notification)
           for s in subject_ids if s not in have]
    # A concurrent request for the same person loses quietly (one unfinished job per person).
    ErasureJob.objects.bulk_create(new, ignore_conflicts=True)
    jobs = {job.subject_id: job for job in unfinished.all()}
    created = [jobs[job.subject_id] for job in new if jobs.get(job.subject_id) and jobs[job.subject_id].pk == job.pk]
    waits = {"after_notification": str(after_notification)} if after_notification else {}
    audit_records(entries=[Entry(actor, Verb.ERASURE_REQUESTED, job.subject_id,
                                 {"job": str(job.pk), "reason": reason, **waits}) for job in created])
    if not after_notification:
        for batch in chunked([job.pk for job in created], BATCH):
            _publish_on_commit(batch)
    return [jobs[s] for s in subject_ids if s in jobs]


@audited_transaction()
def erasure_jobs_release(*, notification_ids: Iterable[uuid.UUID]) -> int:
    """The messages these jobs waited for have gone (or failed for good, or are gone): the erasures become
    pending and are published after commit. The notifications app calls this when a message's send ends,
    and its sweep for any waiting job whose message is no longer in flight. Returns how many were released."""
    released = list(ErasureJob.objects.select_for_update().filter(
        state=ErasureJob.State.WAITING, after_notification__in=list(notification_ids)).values_list("pk", flat=True))
    ErasureJob.objects.filter(pk__in=released).update(state=ErasureJob.State.PENDING)
    for batch in chunked(released, BATCH):
        _publish_on_commit(batch)
    return len(released)


@audited_transaction()
def erasure_jobs_resume(*, subject_id: uuid.UUID, after_notification: uuid.UUID | None = None) -> int:
    """The person's restriction is lifted: their erasure jobs deferred meanwhile run again, published after
    commit, or, with `after_notification` (telling the person it is lifted), once that message has gone.
    Returns how many."""
    resumed = list(ErasureJob.objects.select_for_update().filter(
        subject_id=subject_id, state=ErasureJob.State.RESTRICTED).values_list("pk", flat=True))
    if after_notification:
        ErasureJob.objects.filter(pk__in=resumed).update(state=ErasureJob.State.WAITING,
                                                         after_notification=after_notification)
    else:
        ErasureJob.objects.filter(pk__in=resumed).update(state=ErasureJob.State.PENDING)
        if resumed:
            _publish_on_commit(resumed)
    return len(resumed)


def erasure_jobs_waiting_for() -> set[uuid.UUID]:
    """The notifications erasure jobs wait for (few: enquiry answers in flight), for the notifications sweep."""
    return set(ErasureJob.objects.filter(state=ErasureJob.State.WAITING).values_list("after_notification", flat=True))


def chunked(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _publish_on_commit(job_ids: list[uuid.UUID]) -> None:
    """Queue a batch after commit and stamp `queued_at` once the broker has it. The message expires
    unstarted after ERASURE_REQUEUE_SECONDS, and the sweep then publishes it again: a message lost with
    a broker restart is replaced within a minute, and a backlog never holds two live copies of a job."""

    def stamp() -> None:
        ErasureJob.objects.filter(pk__in=job_ids, state=ErasureJob.State.PENDING).update(queued_at=timezone.now())

    enqueue_on_commit("apps.subjects.tasks.subjects_erase_task", [str(pk) for pk in job_ids], published=stamp)


# --- doing it -----------------------------------------------------------------------------------
def erasure_job_run(*, job_id: uuid.UUID) -> DeletionCertificate | None:
    """Run one person's job. Safe to deliver twice: returns None if it was not this call that ran it."""
    return erasure_jobs_run(job_ids=[job_id]).get(job_id)


def erasure_jobs_run(*, job_ids: list[uuid.UUID]) -> dict[uuid.UUID, DeletionCertificate | None]:
    """Claim the pending jobs among these (only one worker can), erase their people, mark them done.
    Returns {job id: certificate, or None under a legal hold} for the jobs this call ran."""
    claim = uuid.uuid4()
    # A conditional UPDATE: of two runs given the same job, exactly one moves it from pending.
    ErasureJob.objects.filter(pk__in=job_ids, state=ErasureJob.State.PENDING).update(
        state=ErasureJob.State.RUNNING, claim=claim, started_at=timezone.now(), attempts=F("attempts") + 1,
        claimed_by=liveness.beating_process_id())
    claimed = list(ErasureJob.objects.filter(claim=claim, state=ErasureJob.State.RUNNING)
                   .values_list("pk", "subject_id", "reason"))
    if not claimed:
        return {}
    try:
        return subjects_erase(jobs=claimed)
    except Exception:
        ErasureJob.objects.filter(pk__in=[pk for pk, _, _ in claimed], state=ErasureJob.State.RUNNING).update(
            state=ErasureJob.State.PENDING)
        raise


def subject_erase(*, subject: DataSubject, reason: str, job_id: str = "") -> DeletionCertificate | None:
    """Crypto-shred one person now (no job). Running it again returns the same certificate."""
    job = uuid.UUID(job_id) if job_id else uuid.uuid4()
    return subjects_erase(jobs=[(job, subject.pk, reason)], mark_jobs=bool(job_id)).get(job)


def subjects_erase(*, jobs: list[tuple[uuid.UUID, uuid.UUID, str]],
                   mark_jobs: bool = True) -> dict[uuid.UUID, DeletionCertificate | None]:
    """Erase a batch of people: [(job id, subject id, reason)]. Idempotent per person.

    Under an active legal hold, everything not held is erased now and the result is None; the key goes
    when the hold ends."""
    subject_ids = [subject_id for _, subject_id, _ in jobs]
    # Done only if the person is marked erased too: with the key store in its own database, its commit
    # (certificate and log) can land and the main transaction then fail, leaving rows to finish.
    erased = set(DataSubject.objects.filter(pk__in=subject_ids, status=DataSubject.Status.ERASED)
                 .values_list("pk", flat=True))
    certified = {c.subject_id: c for c in DeletionCertificate.objects.using(vault_db()).filter(
        subject_id__in=erased)}
    holds: dict[uuid.UUID, list[LegalHold]] = {}
    for hold in LegalHold.objects.filter(subject_id__in=subject_ids, until__gt=timezone.now()):
        holds.setdefault(hold.subject_id, []).append(hold)
    # Restricted since the job was written (DPA s.34): only stored, so not erased either until the
    # restriction is lifted (restriction_lift resumes these jobs); the person's own request is not kept waiting.
    restricted = set(DataSubject.objects.filter(pk__in=subject_ids, restricted_at__isnull=False)
                     .values_list("pk", flat=True)) - erased
    deferred = [job for job, s, reason in jobs if s in restricted and reason != Reason.SUBJECT_REQUEST]
    if deferred:
        ErasureJob.objects.filter(pk__in=deferred).exclude(state=ErasureJob.State.DONE).update(
            state=ErasureJob.State.RESTRICTED, claim=None)
        logger.info("erasure deferred while restricted jobs=%d", len(deferred))
    jobs = [(j, s, r) for j, s, r in jobs if j not in deferred]
    results: dict[uuid.UUID, DeletionCertificate | None] = {}
    for job_id, subject_id, _ in jobs:
        if subject_id in certified:
            results[job_id] = certified[subject_id]
        elif subject_id in holds:
            _erase_unheld(subject_id=subject_id, holds=holds[subject_id], job_id=str(job_id))
            results[job_id] = None
    todo = [(j, s, r) for j, s, r in jobs if s not in certified and s not in holds]
    if todo:
        results.update(_shred(jobs=todo))
    if mark_jobs:
        _jobs_done(results)
    return results


def _shred(*, jobs: list[tuple[uuid.UUID, uuid.UUID, str]]) -> dict[uuid.UUID, DeletionCertificate]:
    subject_ids = [s for _, s, _ in jobs]
    notices = _notices_prepare(subject_ids)  # while the keys exist: the addresses are read and sealed apart
    key_destroyed_at = timezone.now()
    datakeys_destroy(subject_ids=subject_ids)  # committed first: every copy is unreadable from here on
    for name in datamap.files_of(subject_ids):
        vault_files.file_delete(name=name)
    with audited_transaction(durable=True):
        counts = datamap.rows_count_by_person(subject_ids=subject_ids)
        categories = datamap.categories_by_person(counts=counts)
        datamap.rows_erase(subject_ids=subject_ids)
        now = timezone.now()
        DataSubject.objects.filter(pk__in=subject_ids).update(status=DataSubject.Status.ERASED, erased_at=now)
        # A certificate takes its job's id, so marking the jobs done needs no per-row statement.
        certificates = [
            DeletionCertificate(id=j, subject_id=s, reason=r, categories=categories[s],
                                counts=counts[s], key_destroyed_at=key_destroyed_at, completed_at=now, job_id=str(j),
                                notice=notices.get(s, DeletionCertificate.Notice.UNDELIVERABLE))
            for j, s, r in jobs
        ]
        with transaction.atomic(using=vault_db()):
            # Someone certified but not yet erased (a key store committed before a failure) keeps that
            # certificate. No ON CONFLICT: PostgreSQL refuses it on the append-only certificates; a
            # concurrent run certifying the same person (which claims make rare) fails here and is retried.
            stored = {c.subject_id: c for c in DeletionCertificate.objects.using(vault_db())
                      .filter(subject_id__in=subject_ids)}
            fresh = [c for c in certificates if c.subject_id not in stored]
            certificates_sign(fresh)
            DeletionCertificate.objects.using(vault_db()).bulk_create(fresh)
            stored.update({c.subject_id: c for c in fresh})
            # Signed, and in the public log in the same key-store transaction as the certificates.
            leaves_append(certificates=[stored[s] for j, s, _ in jobs if stored[s].pk == j])
        audit_records(entries=[
            Entry(Actor.system(str(j)), Verb.SUBJECT_ERASED, s,
                  {"reason": r, "certificate": str(stored[s].pk), "counts": counts[s]})
            for j, s, r in jobs if stored[s].job_id == str(j)
        ])
    logger.info("erased subjects=%s first=%s", len(jobs), jobs[0][1])
    _notices_release([stored[s] for s in subject_ids])
    return {j: stored[s] for j, s, _ in jobs}


# --- telling the people erased ------------------------------------------------------------------
# The notifications app (above this one) registers how: `prepare` runs before the keys are destroyed and
# seals each person's address for their notice, returning how each will be told ({subject id: Notice
# value}); `release` runs once their certificates are committed and queues the notices. Whatever ended the
# service, every erasure goes through _shred, so everyone erased is told. Neither may hold the erasure
# back: a failure is logged and the certificate says the notice could not be prepared.
@dataclass(frozen=True)
class NoticeHooks:
    prepare: Callable[[list[uuid.UUID]], dict[uuid.UUID, str]]
    release: Callable[[list[DeletionCertificate]], None]


_notice_hooks: list[NoticeHooks] = []


def erasure_notices_register(*, prepare: Callable[[list[uuid.UUID]], dict[uuid.UUID, str]],
                             release: Callable[[list[DeletionCertificate]], None]) -> None:
    _notice_hooks.append(NoticeHooks(prepare=prepare, release=release))


def _notices_prepare(subject_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    channels: dict[uuid.UUID, str] = {}
    for hooks in _notice_hooks:
        try:
            channels.update(hooks.prepare(subject_ids))
        except Exception as exc:  # the erasure goes ahead; its certificates say nobody could be told
            logger.warning("erasure notices not prepared (%s) subjects=%s", type(exc).__name__, len(subject_ids))
    return channels


def _notices_release(certificates: list[DeletionCertificate]) -> None:
    for hooks in _notice_hooks:
        try:
            hooks.release(certificates)
        except Exception as exc:  # the notices wait; the notifications sweep releases them
            logger.warning("erasure notices not released (%s) count=%s", type(exc).__name__, len(certificates))


def _jobs_done(results: dict[uuid.UUID, DeletionCertificate | None]) -> None:
    now, done = timezone.now(), ErasureJob.State.DONE
    own = [job for job, certificate in results.items() if certificate is not None and certificate.pk == job]
    held = [job for job, certificate in results.items() if certificate is None]
    ErasureJob.objects.filter(pk__in=own).update(state=done, finished_at=now, held=False, certificate_id=F("id"))
    ErasureJob.objects.filter(pk__in=held).update(state=done, finished_at=now, held=True, certificate_id=None)
    for job, certificate in results.items():  # certified earlier, by another job: rare
        if certificate is not None and certificate.pk != job:
            ErasureJob.objects.filter(pk=job).update(state=done, finished_at=now, held=False,
                                                     certificate_id=certificate.pk)


@audited_transaction()
def _erase_unheld(*, subject_id: uuid.UUID, holds: list[LegalHold], job_id: str) -> None:
    kept = frozenset(name for hold in holds for name in hold.fields)
    files = [] if "documents" in kept else list(
        IdentityDocument.objects.filter(subject_id=subject_id).values_list("stored_name", flat=True))
    counts = datamap.rows_erase(subject_ids=[subject_id], kept=kept)
    for name in files:
        transaction.on_commit(lambda name=name: vault_files.file_delete(name=name))
    audit_records(entries=[Entry(Actor.system(job_id), Verb.SUBJECT_PARTIALLY_ERASED, subject_id, {
        "erased": sorted(label for label, n in counts.items() if n),
        "held_until": max(h.until for h in holds).isoformat()})])


def record_erase_unheld(rows, kept: frozenset[str]) -> list[str]:
    """Under a legal hold: clear the record's fields that no hold names (the personal-data map calls this)."""
    erased: list[str] = []
    for record in rows.select_for_update():
        for name in RECORD_FIELDS:
            if name in kept or getattr(record, name) in (None, "", []):
                continue
            field = PersonalRecord._meta.get_field(name)
            setattr(record, name, None if field.null else field.get_default())
            erased.append(name)
        if erased:
            record.save(update_fields=erased)
    return erased


def lookups_erase_unheld(rows, kept: frozenset[str]) -> list[str]:
    """Under a legal hold: a held email or mobile stays findable; every other lookup goes."""
    kinds = [kind for kind, field in (("email", "email"), ("phone", "mobile")) if field not in kept]
    return [kind for kind in kinds if rows.filter(kind=kind).delete()[0]]


@audited_transaction()
def legal_hold_place(*, subject: DataSubject, actor: Actor, basis: str, fields: list[str], until) -> LegalHold:
    if not fields or set(fields) - HOLDABLE:
        raise ValueError("a legal hold names record fields, 'documents' or 'message'")
    hold = LegalHold.objects.create(subject=subject, basis=basis, fields=sorted(fields), until=until)
    audit_records(entries=[Entry(actor, Verb.LEGAL_HOLD_PLACED, subject.pk,
                                 {"fields": sorted(fields), "until": until.isoformat()})])
    return hold


# --- erasing now, for a person or an operator ----------------------------------------------------
@dataclass
class Outcome:
    job: ErasureJob
    certificate: DeletionCertificate | None

    @property
    def held(self) -> bool:
        return self.job.state == ErasureJob.State.DONE and self.job.held

    @property
    def finished(self) -> bool:
        return self.job.state == ErasureJob.State.DONE

    @property
    def restricted(self) -> bool:
        return self.job.state == ErasureJob.State.RESTRICTED


def subject_erase_now(*, subject_id: uuid.UUID, reason: str, actor: Actor, wait: float = 10.0) -> Outcome:
    """Request the erasure and run it here. If a worker got there first, wait (up to `wait` seconds)
    for it to finish, so the answer says what really happened."""
    job = erasure_request(subject_id=subject_id, reason=reason, actor=actor)
    erasure_job_run(job_id=job.pk)
    deadline = timezone.now() + timedelta(seconds=wait)
    job.refresh_from_db()
    while job.state not in (ErasureJob.State.DONE, ErasureJob.State.RESTRICTED) and timezone.now() < deadline:
        time.sleep(0.1)
        job.refresh_from_db()
    certificate = DeletionCertificate.objects.using(vault_db()).filter(subject_id=subject_id).first()
    return Outcome(job=job, certificate=certificate)


# --- the sweep ----------------------------------------------------------------------------------
def erasure_jobs_redrive(*, older_than: timedelta = timedelta(minutes=1), published_for: timedelta | None = None,
                         running_for: timedelta | None = None) -> int:
    """Publish again the erasures that will not happen by themselves. Beat runs this.

    - never published (the broker was down) and older than `older_than`;
    - published and not started after ERASURE_REQUEUE_SECONDS: the message expired unstarted or was
      lost with a broker restart;
    - running, claimed by a worker process whose heartbeat has stopped (killed mid-run: handed back at the
      first sweep after its heartbeat expired, so within HEARTBEAT_TTL + BEAT_REDRIVE_SECONDS, ~45 s);
    - running past the task's hard time limit (its worker died, and whether it is alive cannot be known).
    A second delivery is harmless: a job is claimed with a conditional UPDATE."""
    now = timezone.now()
    if published_for is None:
        published_for = timedelta(seconds=settings.ERASURE_REQUEUE_SECONDS)
    if running_for is None:
        running_for = timedelta(seconds=settings.ERASURE_TIME_LIMIT + 30)
    running_cutoff = now - running_for
    lost = _runs_lost(now=now, running_cutoff=running_cutoff)
    stale = list(ErasureJob.objects.filter(
        Q(state=ErasureJob.State.PENDING, queued_at__isnull=True, created_at__lt=now - older_than)
        | Q(state=ErasureJob.State.PENDING, queued_at__lt=now - published_for)
        | Q(state=ErasureJob.State.RUNNING, started_at__lt=running_cutoff)
        | Q(pk__in=[pk for pk, _ in lost], state=ErasureJob.State.RUNNING)
    ).order_by("created_at").values_list("pk", flat=True)[:10_000])
    started = dict(lost)
    for batch in chunked(stale, BATCH):
        with audited_transaction():
            # A running job past the cut-off, or whose worker is gone, lost its worker; hand it back (the
            # same claim only: a run that started again in between is left alone).
            ErasureJob.objects.filter(pk__in=batch, state=ErasureJob.State.RUNNING,
                                      started_at__lt=running_cutoff).update(state=ErasureJob.State.PENDING)
            for pk in batch:
                if pk in started:
                    ErasureJob.objects.filter(pk=pk, state=ErasureJob.State.RUNNING, claim=started[pk]).update(
                        state=ErasureJob.State.PENDING)
            _publish_on_commit(batch)
    if stale:
        logger.info("erasure jobs re-published count=%s", len(stale))
    return len(stale)


def _runs_lost(*, now, running_cutoff) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(job id, claim) of running jobs whose worker process is known to be gone (its heartbeat stopped), past
    a short grace: the heartbeat of a process that just started may not be written yet."""
    grace = now - timedelta(seconds=liveness.HEARTBEAT_TTL)
    running = list(ErasureJob.objects.filter(state=ErasureJob.State.RUNNING, started_at__lt=grace,
                                             started_at__gte=running_cutoff).exclude(claimed_by="")
                   .values_list("pk", "claim", "claimed_by")[:10_000])
    if not running:
        return []
    alive = liveness.processes_alive({by for _, _, by in running})
    if alive is None:  # cannot be known now (Redis down or just restarted): the time limit decides
        return []
    return [(pk, claim) for pk, claim, by in running if by not in alive]


def erasures_reapply(*, chunk_size: int = 1000) -> int:
    """After restoring the main database from a backup: erase again everyone with a certificate.

    Certificates live in the key store, which is not restored, so they name exactly the people
    who must not come back. Their keys are gone; this removes the unreadable rows and files."""
    certified = list(DeletionCertificate.objects.using(vault_db()).values_list("subject_id", flat=True))
    count = 0
    for chunk in chunked(certified, chunk_size):
        back = set(DataSubject.objects.filter(pk__in=chunk).exclude(status=DataSubject.Status.ERASED)
                   .values_list("pk", flat=True)) | set(datamap.rows_remaining(subject_ids=chunk, by_person=True))
        if not back:
            continue
        back_ids = sorted(back)
        datakeys_destroy(subject_ids=back_ids)  # a restored key store must not bring a key back
        for name in datamap.files_of(back_ids):
            vault_files.file_delete(name=name)
        with audited_transaction():
            counts = datamap.rows_count_by_person(subject_ids=back_ids)
            datamap.rows_erase(subject_ids=back_ids)
            DataSubject.objects.filter(pk__in=back_ids).update(status=DataSubject.Status.ERASED,
                                                               erased_at=timezone.now())
            audit_records(entries=[Entry(Actor.system("reapply_erasures"), Verb.SUBJECT_ERASURE_REAPPLIED, s,
                                         {"counts": counts[s]}) for s in back_ids])
        count += len(back_ids)
    return count


# Data keys owned by something other than a person (a form nobody has confirmed yet, a file kept for a form):
# the apps above register a function that returns which of the given ids still own their key.
KeyOwners = Callable[[list[uuid.UUID]], Iterable[uuid.UUID]]
_key_owners: list[KeyOwners] = []


def key_owners_register(owners: KeyOwners) -> None:
    _key_owners.append(owners)


def orphans_remove(*, older_than: timedelta = timedelta(hours=1)) -> dict[str, int]:
    """Remove what a rolled-back submission can leave behind: stored files without a document row,
    and (with a separate key store) data keys without a person. Beat runs this with retention."""
    cutoff = timezone.now() - older_than
    known = set(IdentityDocument.objects.values_list("stored_name", flat=True))
    files = [name for name in vault_files.files_older_than(cutoff) if name not in known]
    for name in files:
        vault_files.file_delete(name=name)
    people = set(DataSubject.objects.values_list("pk", flat=True))
    keys = [k for k in DataKey.objects.using(vault_db()).filter(created_at__lt=cutoff)
            .values_list("subject_id", flat=True) if k not in people]
    owned = {k for owners in _key_owners for k in owners(keys)}
    keys = [k for k in keys if k not in owned]
    datakeys_destroy(subject_ids=keys)
    if files or keys:
        logger.info("orphans removed files=%s keys=%s", len(files), len(keys))
    return {"files": len(files), "keys": len(keys)}

