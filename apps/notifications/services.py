"""Queueing and sending notifications. Other apps call notification_queue inside their transaction.

A send is claimed with a conditional UPDATE, so two deliveries of the same task (a retry, the
sweep, a redelivered message) never send twice while the first is in flight, and a SENT row is
never sent again.

The window between "the provider accepted it" and "the row says SENT" is kept small and durable:
the moment the provider answers, its acceptance is noted in Redis (best effort: it covers the
moment a locked or restarting database takes) and written to the row in PostgreSQL (`accepted_at`
and the provider's id, one statement, retried for a few seconds if the database does not answer),
before the next message of a batch is sent and before the broker's message is acknowledged. The
row says SENT, with its audit event, together with the rest of its batch (a single message: at
once). If the database stays away, the batch stops sending. So neither a dead worker nor a broker
restarted empty can make us forget a message the provider took. A row
left SENDING is looked at by the sweep once its claiming process is known to be gone (its
heartbeat stopped, apps.core.liveness), or after SENDING_TIMEOUT when that cannot be known:
- the acceptance was written (or noted): the row is marked SENT, nothing is sent again;
- it was not: the message is sent again, once per lost claim. For email the Message-ID is
  derived from the row, so a receiving server can drop the duplicate in the one case left (the
  worker died after the server stored the message and before its acceptance was written).
Africa's Talking offers no query of an outbound message's status by our reference (delivery
reports are pushed to a callback), so an SMS is handled like an email without a Message-ID.
"""

import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import validate_email, validate_slug
from django.db import DatabaseError, connection, models
from django.db.models import F, Q
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.utils import timezone, translation
from phonenumber_field.phonenumber import PhoneNumber
from phonenumber_field.phonenumber import to_python as phone_to_python

from apps.audit.services import Actor, Entry, Verb, audit_record, audit_records, audited_transaction
from apps.core import liveness
from apps.core.db import insert_together
from apps.core.jobs import enqueue_on_commit
from apps.notifications.limits import sms_allowance_take
from apps.subjects.models import DataSubject, SubjectRestricted
from apps.subjects.services import erasure_jobs_release, erasure_jobs_waiting_for, restricted_any
from apps.vault.services import datakeys_prefetch

from .backends import SmsMessage, get_sms_backend
from .models import Notification
from .rendering import BatchRenderer, render_attachments, render_message, template_names
from .sending import backoff, is_permanent, message_id_for, supported_language

logger = logging.getLogger(__name__)

SYSTEM = Actor.system("notifications")
# A claim older than this lost its worker (the task hard time limit is far shorter).
SENDING_TIMEOUT = timedelta(minutes=10)
# How long the note of a provider's acceptance is kept: well past SENDING_TIMEOUT.
ACCEPTANCE_TTL = 24 * 3600
# Pauses before each try of a claimed send's database step while the database does not answer
# (about 8 s in all: a restart), before the last try, whose error is raised.
DB_RETRY_PAUSES = (0, 0.5, 1, 2, 4)
# While a person's processing is restricted (DPA s.34) we write to them only about their rights: the
# restriction itself, a breach that affects them, and the links and codes they ask for to reach their data.
WHILE_RESTRICTED = frozenset({"restriction_set", "restriction_lifted", "breach_notice", "new_link", "stepup_code",
                              "link_locked", "email_changed_notice", "mobile_changed_notice",
                              "rights_request_received"})
# Messages per send job: one job (and one SMTP connection) per batch, small enough that the batches of
# a campaign spread over every worker process.
SEND_BATCH = 50


class TransientSendError(Exception):
    """The send may succeed later; the row is PENDING again. Carries ids and a class name only."""

    def __init__(self, *, notification_id: uuid.UUID, error: str, countdown: int) -> None:
        super().__init__(f"notification {notification_id} failed with {error}; retry in {countdown}s")
        self.notification_id = notification_id
        self.error = error
        self.countdown = countdown


# --- queueing ---------------------------------------------------------------------------------------
def _normalise_recipient(channel: str, recipient: str) -> str:
    """Raise ValueError (without quoting the value) if the address cannot be sent to."""
    recipient = str(recipient or "").strip()
    if channel == Notification.Channel.EMAIL:
        try:
            validate_email(recipient)
        except ValidationError:
            raise ValueError("recipient is not a valid email address") from None
        return recipient
    number = phone_to_python(recipient, region=settings.PHONENUMBER_DEFAULT_REGION)
    if not isinstance(number, PhoneNumber) or not number.is_valid():
        raise ValueError("recipient is not a valid phone number")
    return number.as_e164


@dataclass(frozen=True)
class Message:
    """One message to queue with notifications_queue()."""

    subject: DataSubject | None  # None: a message about an unconfirmed form (intake_id)
    channel: str
    template: str
    recipient: str
    context: dict | None = None
    language: str = "en"
    intake_id: uuid.UUID | None = None


def notification_queue(*, subject: DataSubject, channel: str, template: str, recipient: str,
                       context: dict | None = None, language: str = "en") -> Notification:
    """Write the notification (address and context sealed), then queue its send after commit."""
    return notifications_queue(messages=[Message(subject, channel, template, recipient, context, language)])[0]


CHANNELS = frozenset(Notification.Channel.values)


def _checked(message: Message, templates_found: set[tuple[str, str]] | None = None) -> Notification:
    """The row for a message, or ValueError (naming no value) if it cannot be sent. Writes nothing.
    templates_found: (template, channel) pairs already found, for a batch of messages."""
    if message.channel not in CHANNELS:
        raise ValueError(f"unknown channel {message.channel!r}")
    if templates_found is None or (message.template, message.channel) not in templates_found:
        try:
            validate_slug(message.template)
            for name in template_names(message.template, message.channel):
                get_template(name)
        except (ValidationError, TemplateDoesNotExist):
            raise ValueError(f"no {message.channel} template {message.template!r}") from None
        if templates_found is not None:
            templates_found.add((message.template, message.channel))
    if (message.subject is None) == (message.intake_id is None):
        raise ValueError("a message is about a person or about an unconfirmed form")
    if message.subject is not None and message.subject.is_erased:
        raise ValueError("this person's data has been erased")
    language = supported_language(message.language)
    with translation.override(language):
        # Plain JSON from here on; lazy translations become text in the message's language.
        context = json.loads(json.dumps(message.context or {}, cls=DjangoJSONEncoder))
    return Notification(
        subject=message.subject, intake_id=message.intake_id, channel=message.channel, template=message.template,
        language=language, recipient=_normalise_recipient(message.channel, message.recipient), context=context,
    )


def notifications_queue(*, messages: list[Message], skip_unusable: bool = False, audit_each: bool = True,
                        also_insert: Sequence[models.Model] = ()) -> list[Notification | None]:
    """Write the notifications in one insert (addresses and contexts sealed), audit each, and queue their
    sends after commit: one job per SEND_BATCH messages. Every message is checked before anything is
    written: one that cannot be sent raises ValueError and nothing is queued; with skip_unusable, it is
    None in the list returned (in the order given) and the others are queued. A message to a person whose
    processing is restricted, other than one about their rights (WHILE_RESTRICTED), raises SubjectRestricted
    and nothing is queued (one query for the whole batch). An SMS to a number that has had all it may have
    for now (apps.notifications.limits) is None in the list and audited as skipped; the rest are queued.
    audit_each=False: the caller audits the batch
    in the same transaction (a campaign's slice: one event with its counts); each send is still audited.
    also_insert: the caller's new rows, written before the messages in the same statement (core.db.insert_together;
    their primary keys set), e.g. the form a code email is about: one round trip for both."""
    if restricted_any(subjects=[m.subject for m in messages
                                if m.subject is not None and m.template not in WHILE_RESTRICTED]):
        raise SubjectRestricted
    checked: list[Notification | None] = []
    templates_found: set[tuple[str, str]] = set()
    for message in messages:
        try:
            checked.append(_checked(message, templates_found))
        except ValueError:
            if not skip_unusable:
                raise
            checked.append(None)
    over_limit = [n for n in checked if n is not None and n.channel == Notification.Channel.SMS
                  and not sms_allowance_take(recipient=n.recipient, template=n.template)]
    if over_limit:
        audit_records(entries=[Entry(SYSTEM, Verb.NOTIFICATION_SKIPPED, n.owner_id,
                                     {"channel": n.channel, "template": n.template, "why": "sms-limit"})
                               for n in over_limit])
        checked = [None if n in over_limit else n for n in checked]
    notifications = [n for n in checked if n is not None]
    if not notifications:
        if also_insert:
            insert_together(also_insert)
        return checked
    with audited_transaction(savepoint=False):
        now = timezone.now()
        for notification in notifications:
            notification.queued_at = now
        insert_together([*also_insert, *notifications])
        if audit_each:
            audit_records(entries=[
                Entry(SYSTEM, Verb.NOTIFICATION_QUEUED, n.owner_id,
                      {"notification": str(n.pk), "channel": n.channel, "template": n.template})
                for n in notifications
            ])
        _publish_sends([n.pk for n in notifications])
    return checked


def _publish_sends(notification_ids: list[uuid.UUID]) -> None:
    """After commit: one job for one message (the task re-drives use), one job per batch for more."""
    if len(notification_ids) == 1:
        enqueue_on_commit("apps.notifications.tasks.notification_send_task", str(notification_ids[0]))
        return
    for start in range(0, len(notification_ids), SEND_BATCH):
        batch = [str(pk) for pk in notification_ids[start:start + SEND_BATCH]]
        enqueue_on_commit("apps.notifications.tasks.notifications_send_task", batch)


# --- sending ----------------------------------------------------------------------------------------
def _deliver(notification: Notification, *, connection: Any = None, renderer: BatchRenderer | None = None) -> str:
    """Render in the notification's language and hand it to the channel (an email over `connection`, an
    open SMTP connection a batch shares, or a new one; rendered by a batch's `renderer`, which renders each
    distinct text once). Returns the provider id."""
    with translation.override(notification.language):
        render = renderer.render if renderer is not None else render_message
        subject_line, text, html = render(notification.template, notification.context, notification.channel)
    if notification.channel == Notification.Channel.SMS:
        return get_sms_backend().send(
            SmsMessage(to=notification.recipient, text=text, reference=str(notification.pk))
        )
    message_id = message_id_for(notification)
    email = EmailMultiAlternatives(
        subject=subject_line, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[notification.recipient],
        reply_to=[settings.PRIVACY_OFFICER_EMAIL],
        # Auto-Submitted keeps auto-responders from replying (RFC 3834).
        headers={"Message-ID": message_id, "Auto-Submitted": "auto-generated"}, connection=connection,
    )
    email.attach_alternative(html, "text/html")
    for attachment in render_attachments(notification.template, notification.context, notification.owner_id):
        email.attach(attachment.filename, attachment.content, attachment.mimetype)
    email.send()
    return message_id


def notification_send(*, notification_id: uuid.UUID) -> bool:
    """Claim the row, send it, record the outcome. Returns True if this call sent it.

    On a transient failure the row goes back to PENDING and TransientSendError is raised so the
    task retries with backoff; after NOTIFICATION_MAX_ATTEMPTS, or on a permanent failure, the
    row is FAILED and nothing is raised.
    """
    claimed = Notification.objects.filter(pk=notification_id, status=Notification.Status.PENDING).update(
        status=Notification.Status.SENDING, claimed_at=timezone.now(), claimed_by=liveness.process_id(),
        attempts=F("attempts") + 1,
    )
    if not claimed:  # sent, failed, erased, or another worker has it
        return False
    # From here the row is ours until it says SENT, FAILED or PENDING again: a database that stops
    # answering for a moment (a restart) must not leave it SENDING under a live worker, where
    # only the 10-minute timeout would find it.
    notification = _retrying(lambda: Notification.objects.filter(pk=notification_id).first(),
                             what="load", notification_id=notification_id)
    if notification is None:  # erased in the meantime
        return False
    # An email's connection stays open until its acceptance is recorded: the server's reply to DATA is the
    # acceptance, and closing first (QUIT, one more round trip) would widen the moment in which a killed worker
    # leaves a message the server took unrecorded.
    smtp = _smtp_open() if notification.channel == Notification.Channel.EMAIL else None
    try:
        return _send_and_record(notification, smtp=smtp)
    finally:
        if smtp is not None:
            smtp.close()


def _send_and_record(notification: Notification, *, smtp: Any) -> bool:
    try:
        provider_message_id = _deliver(notification, connection=smtp)
    except Exception as exc:  # classified below; its message (which may quote the address) is never kept
        error = exc  # the name `exc` is cleared when the except block ends
        _retrying(lambda: _record_failure(notification, error), what="failure", notification_id=notification.pk)
        return False
    # Accepted: noted in Redis at once (for the moment a locked or restarting database takes), then SENT in
    # the database, durably, before the broker's message is acknowledged.
    provider_message_id = str(provider_message_id or "")[:255]
    liveness.fact_set(_acceptance_key(notification.pk), provider_message_id or "-", ttl=ACCEPTANCE_TTL)
    try:
        _retrying(lambda: _mark_sent(notification, provider_message_id=provider_message_id), what="sent",
                  notification_id=notification.pk)
    except DatabaseError:  # the note in Redis lets the sweep record it later, without sending again
        return True
    logger.info("notification sent id=%s channel=%s attempts=%s", notification.pk, notification.channel,
                notification.attempts)
    return True


@dataclass
class BatchSent:
    sent: int
    retries: list[tuple[uuid.UUID, int]]  # (notification id, seconds): transient failures to try again


# Accepted messages recorded as SENT together: a batch's in one statement, with their audit events (until then
# each row's accepted_at says the provider took it, where the sweep finds it if the worker dies first).
MARK_EVERY = SEND_BATCH


def notifications_send(*, notification_ids: list[uuid.UUID]) -> BatchSent:
    """Send a batch: claim its PENDING rows in one conditional UPDATE, send them one after the other over
    one SMTP connection, and record them as SENT together (one statement). Each row keeps the promises of
    notification_send: the acceptance is written to its row the moment the provider answers, a failure is
    classified per row (transient ones are returned, to be tried again with backoff), and a row another
    worker holds, or that is sent, failed or erased, is left alone."""
    claim = {"claimed_at": timezone.now(), "claimed_by": liveness.process_id()}
    # Every database step before the first send is retried while the database restarts; if it stays away,
    # the rows this call claimed go back to PENDING for a re-drive (else they would wait, SENDING under a
    # live worker, for the claim's timeout).
    _retrying(lambda: Notification.objects.filter(pk__in=notification_ids, status=Notification.Status.PENDING)
              .update(status=Notification.Status.SENDING, attempts=F("attempts") + 1, **claim),
              what="claim", notification_id=notification_ids[0])
    try:
        rows = _retrying(lambda: list(Notification.objects.filter(pk__in=notification_ids,
                                                                  status=Notification.Status.SENDING, **claim)
                                      .order_by("created_at", "pk")),
                         what="load", notification_id=notification_ids[0])
        if not rows:  # sent, failed, erased, or another worker has them
            return BatchSent(0, [])
        _retrying(lambda: datakeys_prefetch(subject_ids=[n.owner_id for n in rows]), what="keys",
                  notification_id=notification_ids[0])
    except DatabaseError:
        with contextlib.suppress(DatabaseError):  # if this fails too, the claim's timeout frees them
            _retrying(lambda: Notification.objects.filter(pk__in=notification_ids, status=Notification.Status.SENDING,
                                                          **claim).update(status=Notification.Status.PENDING),
                      what="release", notification_id=notification_ids[0])
        raise
    smtp = _smtp_open() if any(n.channel == Notification.Channel.EMAIL for n in rows) else None
    renderer = BatchRenderer()
    accepted: list[tuple[Notification, str]] = []
    retries, sent = [], 0
    try:
        for position, notification in enumerate(rows):
            try:
                provider_message_id = str(_deliver(notification, connection=smtp, renderer=renderer) or "")[:255]
            except Exception as exc:  # classified below; its message (which may quote the address) is never kept
                error = exc
                try:
                    _retrying(lambda n=notification, e=error: _record_failure(n, e), what="failure",
                              notification_id=notification.pk)
                except TransientSendError as transient:
                    retries.append((notification.pk, transient.countdown))
                if smtp is not None and notification.channel == Notification.Channel.EMAIL:
                    smtp.close()  # the connection may be what failed: the next email gets a fresh one
                    smtp = _smtp_open()
                continue
            accepted.append((notification, provider_message_id))
            if not _note_accepted(notification, provider_message_id):
                # The database is away: send nothing more whose acceptance could not be written.
                _release_unsent([n.pk for n in rows[position + 1:]], claim=claim)
                break
            if len(accepted) >= MARK_EVERY:
                sent += _mark_many_sent(accepted)
                accepted = []
        sent += _mark_many_sent(accepted)
    finally:
        if smtp is not None:
            smtp.close()
    logger.info("notifications sent count=%s of claimed=%s retries=%s", sent, len(rows), len(retries))
    return BatchSent(sent, retries)


def _smtp_open() -> Any:
    """One connection for a batch's emails, or None (each email then opens its own and fails on its own)."""
    smtp = get_connection()
    try:
        smtp.open()
    except Exception as exc:  # the server is down or refuses: each send will say so, row by row
        logger.warning("smtp connection for a batch failed (%s)", type(exc).__name__)
        return None
    return smtp


def _note_accepted(notification: Notification, provider_message_id: str) -> bool:
    """Note the provider's acceptance in Redis (at once, best effort), then write it to the row (one statement,
    its own transaction) before the next message is sent. Returns False if the database did not take it within
    a few seconds (then only the note in Redis remembers it)."""
    liveness.fact_set(_acceptance_key(notification.pk), provider_message_id or "-", ttl=ACCEPTANCE_TTL)
    try:
        _retrying(lambda: Notification.objects.filter(pk=notification.pk, status=Notification.Status.SENDING)
                  .update(accepted_at=timezone.now(), provider_message_id=provider_message_id),
                  what="accepted", notification_id=notification.pk)
    except DatabaseError:
        return False
    return True


def _release_unsent(notification_ids: list[uuid.UUID], *, claim: dict) -> None:
    """Rows of a batch that stopped early (the database went away) and were never tried go back to PENDING
    for the re-drive; if that fails too, the claim's timeout frees them."""
    if notification_ids:
        with contextlib.suppress(DatabaseError):
            Notification.objects.filter(pk__in=notification_ids, status=Notification.Status.SENDING,
                                        **claim).update(status=Notification.Status.PENDING)


def _mark_many_sent(accepted: list[tuple[Notification, str]]) -> int:
    """Record accepted messages as SENT (one lock, one update, their audit events). If the database does
    not answer, the acceptance notes let the sweep record them later, without sending again."""
    if not accepted:
        return 0
    try:
        return _retrying(lambda: _mark_sent_together(accepted), what="sent", notification_id=accepted[0][0].pk)
    except DatabaseError:
        return 0


def _mark_sent_together(accepted: list[tuple[Notification, str]]) -> int:
    with audited_transaction():
        fresh = _update_sent(accepted)
        if not fresh:
            return 0
        erasure_jobs_release(notification_ids=list(fresh))  # erasures that waited for these messages
        audit_records(entries=[
            Entry(SYSTEM, Verb.NOTIFICATION_SENT, n.owner_id,
                  {"notification": str(n.pk), "channel": n.channel, "template": n.template, "attempts": n.attempts})
            for n, _ in accepted if n.pk in fresh
        ])
    return len(fresh)


def _update_sent(accepted: list[tuple[Notification, str]]) -> set[uuid.UUID]:
    """One statement: every row not SENT yet becomes SENT with its provider id; returns their ids. (The ORM's
    Case/When took longer to build than the database took to run it.)"""
    field = Notification._meta.pk
    table = connection.ops.quote_name(Notification._meta.db_table)
    ids = [field.get_db_prep_value(n.pk, connection) for n, _ in accepted]
    cases = " ".join(["WHEN %s THEN %s"] * len(accepted))
    sql = (f"UPDATE {table} SET status = %s, sent_at = %s, last_error = '', "  # noqa: S608 (no input in it)
           f"provider_message_id = CASE id {cases} ELSE provider_message_id END "
           f"WHERE id IN ({', '.join(['%s'] * len(ids))}) AND status <> %s RETURNING id")
    params = [Notification.Status.SENT.value, connection.ops.adapt_datetimefield_value(timezone.now()),
              *[p for pk, (_n, provider_id) in zip(ids, accepted, strict=True) for p in (pk, provider_id)],
              *ids, Notification.Status.SENT.value]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {field.to_python(row[0]) for row in cursor.fetchall()}


def _retrying(operation: Callable[[], Any], *, what: str, notification_id: uuid.UUID) -> Any:
    """Run a database step of a claimed send, retried for a few seconds while the database does
    not answer (each failure closes the connection, so the next try reconnects)."""
    for pause in DB_RETRY_PAUSES:
        time.sleep(pause)
        try:
            return operation()
        except DatabaseError as exc:
            logger.warning("notification %s not recorded yet id=%s error=%s", what, notification_id,
                           type(exc).__name__)
            connection.close()
    return operation()


def _acceptance_key(notification_id: uuid.UUID) -> str:
    return f"notification-accepted:{notification_id}"


def _mark_sent(notification: Notification, *, provider_message_id: str, by_sweep: bool = False) -> bool:
    with audited_transaction():
        updated = Notification.objects.filter(pk=notification.pk).exclude(status=Notification.Status.SENT).update(
            status=Notification.Status.SENT, sent_at=timezone.now(), last_error="",
            provider_message_id=provider_message_id,
        )
        if updated:
            erasure_jobs_release(notification_ids=[notification.pk])  # an erasure that waited for this message
            audit_record(actor=SYSTEM, verb=Verb.NOTIFICATION_SENT, target=notification.owner_id,
                         detail={"notification": str(notification.pk), "channel": notification.channel,
                                 "template": notification.template, "attempts": notification.attempts,
                                 **({"recorded_by": "sweep"} if by_sweep else {})})
    return bool(updated)


def _record_failure(notification: Notification, exc: Exception) -> None:
    """Mark FAILED (and return) or PENDING again (and raise TransientSendError)."""
    error = type(exc).__name__[:100]
    rows = Notification.objects.filter(pk=notification.pk, status=Notification.Status.SENDING)
    if is_permanent(exc) or notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
        with audited_transaction():
            rows.update(status=Notification.Status.FAILED, last_error=error)
            # An erasure waiting for this message goes ahead: the failure stays in the audit log.
            erasure_jobs_release(notification_ids=[notification.pk])
            audit_record(actor=SYSTEM, verb=Verb.NOTIFICATION_FAILED, target=notification.owner_id,
                         detail={"notification": str(notification.pk), "channel": notification.channel,
                                 "template": notification.template, "attempts": notification.attempts,
                                 "error": error})
        logger.warning("notification failed id=%s error=%s attempts=%s", notification.pk, error,
                       notification.attempts)
        return
    countdown = backoff(notification.attempts)
    rows.update(status=Notification.Status.PENDING, last_error=error,
                queued_at=timezone.now() + timedelta(seconds=countdown))
    logger.info("notification retry id=%s error=%s attempts=%s in=%ss", notification.pk, error,
                notification.attempts, countdown)
    # `from None`: the original exception's text may quote the address; it must not reach the logs.
    raise TransientSendError(notification_id=notification.pk, error=error, countdown=countdown) from None


# --- the sweep and erasure --------------------------------------------------------------------------
def _sends_lost(*, now: datetime, limit: int) -> list[uuid.UUID]:
    """SENDING rows whose claim is lost: claimed more than SENDING_TIMEOUT ago, or whose claiming
    process is known to be gone. Those the provider had accepted (accepted_at on the row, or a note
    in Redis written while the database was away) are marked SENT here (nothing is sent again); the
    ids of the others are returned, to be sent again."""
    stuck_cutoff = now - SENDING_TIMEOUT
    # The grace also covers a claim by a process that does not beat (a web process running jobs
    # in-process with no broker): its send is long over by then.
    grace = timedelta(seconds=settings.NOTIFICATION_DEAD_CLAIM_GRACE)
    claims = list(
        Notification.objects.filter(status=Notification.Status.SENDING, claimed_at__lt=now - grace)
        .order_by("claimed_at").values_list("pk", "claimed_by", "claimed_at", "accepted_at",
                                            "provider_message_id")[:limit]
    )
    alive = liveness.processes_alive({by for _, by, _, _, _ in claims if by})
    lost = []
    for notification_id, claimed_by, claimed_at, accepted_at, provider_message_id in claims:
        gone = claimed_at < stuck_cutoff or (alive is not None and claimed_by and claimed_by not in alive)
        noted = None if accepted_at is not None else liveness.fact_get(_acceptance_key(notification_id))
        if accepted_at is not None or noted is not None:  # sent; only the record of it is missing
            notification = Notification.objects.filter(pk=notification_id).first()
            provider_id = provider_message_id if noted is None else ("" if noted == "-" else noted)
            if notification and _mark_sent(notification, provider_message_id=provider_id, by_sweep=True):
                logger.info("notification recorded as sent by the sweep id=%s", notification_id)
        elif gone:
            lost.append((notification_id, claimed_at))
    handed_back = []
    for notification_id, claimed_at in lost:
        if Notification.objects.filter(pk=notification_id, status=Notification.Status.SENDING,
                                       claimed_at=claimed_at, accepted_at__isnull=True
                                       ).update(status=Notification.Status.PENDING):
            logger.info("notification claim lost id=%s; sending again", notification_id)
            handed_back.append(notification_id)
    return handed_back


# One re-drive catches up in one pass: batches of REDRIVE_BATCH rows until none is left, for at most
# REDRIVE_SECONDS (shorter than beat's interval, so two passes never overlap for long).
REDRIVE_BATCH = 1000
REDRIVE_SECONDS = 20.0


def notifications_redrive(*, older_than: timedelta = timedelta(minutes=1), limit: int = REDRIVE_BATCH,
                          time_limit: float = REDRIVE_SECONDS) -> int:
    """Re-queue PENDING rows queued longer ago than older_than (broker down, task lost) and hand
    back SENDING rows whose claim is lost (see _sends_lost). Beat runs this every 30 seconds.

    `limit` rows at a time, oldest first, until none is left or `time_limit` seconds have passed (a
    backlog of thousands after a broker restart is published in one run, not 1,000 rows per run)."""
    deadline = time.monotonic() + time_limit
    _erasures_release_stale()
    count = 0
    while True:
        published, selected = _redrive_batch(older_than=older_than, limit=limit)
        count += published
        if selected < limit or time.monotonic() >= deadline:
            break
    if count:
        logger.info("notifications re-queued count=%s", count)
    return count


def _redrive_batch(*, older_than: timedelta, limit: int) -> tuple[int, int]:
    """One batch of the re-drive: returns (rows published, rows looked at)."""
    now = timezone.now()
    handed_back = _sends_lost(now=now, limit=limit)
    cutoff = now - older_than
    stale = list(
        Notification.objects.filter(
            Q(status=Notification.Status.PENDING, queued_at__lt=cutoff)
            | Q(status=Notification.Status.PENDING, queued_at__isnull=True)
            | Q(pk__in=handed_back, status=Notification.Status.PENDING)
        )
        .order_by(F("queued_at").asc(nulls_first=True))
        .values_list("pk", flat=True)[:limit]
    )
    count = 0
    for start in range(0, len(stale), SEND_BATCH):
        with audited_transaction():
            ids = list(Notification.objects.select_for_update(skip_locked=True)
                       .filter(pk__in=stale[start:start + SEND_BATCH], status=Notification.Status.PENDING)
                       .values_list("pk", flat=True))
            Notification.objects.filter(pk__in=ids).update(queued_at=timezone.now())
            _publish_sends(ids)
            count += len(ids)
    return count, len(stale)


def _erasures_release_stale() -> int:
    """Erasures waiting for a message no longer in flight (its end was recorded without the release, or
    the row is gone) go ahead."""
    waited_for = erasure_jobs_waiting_for()
    if not waited_for:
        return 0
    in_flight = set(Notification.objects.filter(
        pk__in=waited_for, status__in=[Notification.Status.PENDING, Notification.Status.SENDING])
        .values_list("pk", flat=True))
    return erasure_jobs_release(notification_ids=waited_for - in_flight) if waited_for - in_flight else 0


@audited_transaction()
def notifications_erase_to(*, subject_id: uuid.UUID, recipient: str, channel: str) -> int:
    """Delete this person's notifications addressed to one recipient (a referee who objected)."""
    target = _normalise_recipient(channel, recipient)
    doomed = [n.pk for n in Notification.objects.filter(subject_id=subject_id, channel=channel)
              if n.recipient == target]
    count, _ = Notification.objects.filter(pk__in=doomed).delete()
    if count:
        audit_record(actor=SYSTEM, verb=Verb.NOTIFICATIONS_ERASED, target=subject_id, detail={"count": count})
    return count


@audited_transaction()
def notifications_retry(*, notification_ids: list[uuid.UUID]) -> int:
    """Staff retry failed messages (a campaign's): PENDING again with fresh attempts, queued after commit."""
    ids = list(Notification.objects.filter(pk__in=notification_ids, status=Notification.Status.FAILED)
               .values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids, status=Notification.Status.FAILED).update(
        status=Notification.Status.PENDING, attempts=0, last_error="", queued_at=timezone.now())
    _publish_sends(ids)
    return len(ids)


def notifications_erase_for_intake(*, intake_id: uuid.UUID) -> int:
    """Delete the messages about an unconfirmed form (its key is destroyed with it). In the caller's transaction;
    a send in flight finds its row gone and sends nothing more."""
    return Notification.objects.filter(intake_id=intake_id).delete()[0]


def notifications_erase_for_intakes_gone(*, waiting) -> int:
    """Delete the messages about forms that no longer exist (`waiting`: the ids of those that do)."""
    return Notification.objects.filter(intake_id__isnull=False).exclude(intake_id__in=waiting).delete()[0]
