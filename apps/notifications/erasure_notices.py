"""The deletion notice: one message to a person whose data we have just erased, with their certificate.

Whatever ended the service (the person's own request, staff completing it, the controller's API, a vacancy
closing, an answered enquiry, the retention sweep), every erasure goes through
apps.subjects.services.erasure._shred, which calls `erasure_notices_prepare` (registered in
NotificationsConfig.ready) just before the people's keys are destroyed, and `erasure_notices_release` once
their certificates are committed. The address outlives the person's key by minutes, and nothing else: it is
sealed under a key made for this one message, kept only in the shared cache with a time-to-live
(ERASURE_NOTICE_HOURS), never in the database. The row goes when the message is sent, when it fails for good,
or when it expires, and the key goes with it; past the time-to-live the key is gone from the cache even if no
job ever runs, so a copy of the row in a backup is unreadable. The erasure never waits for the mail server:
the message is prepared before it (while the address can still be read) and sent by a job after it.
See docs/architecture.md, "The deletion notice".
"""

import logging
import os
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db.models import Case, F, Q, UUIDField, When
from django.urls import reverse
from django.utils import timezone, translation

from apps.audit.services import Actor, Verb, audit_record, audited_transaction
from apps.core.jobs import enqueue_on_commit
from apps.subjects.models import PersonalRecord
from apps.vault.crypto import open_sealed, seal
from apps.vault.models import DeletionCertificate
from apps.vault.routers import vault_db
from apps.vault.services import KeyDestroyed, datakeys_prefetch, key_scope

from .backends import SmsMessage, get_sms_backend
from .models import ErasureNotice, Notification
from .rendering import render_message
from .sending import backoff, is_permanent, message_id_for, supported_language

logger = logging.getLogger(__name__)

SYSTEM = Actor.system("erasure-notice")
TEMPLATE = "erasure_done"


class NoticeRetry(Exception):
    """A transient failure: the task retries after `countdown` seconds. Carries no address."""

    def __init__(self, countdown: int) -> None:
        super().__init__(f"retry in {countdown}s")
        self.countdown = countdown


def _key_name(notice_id: uuid.UUID) -> str:
    return f"erasure-notice-key:{notice_id}"


def _aad(notice_id: uuid.UUID) -> bytes:
    return f"notifications.ErasureNotice:{notice_id}".encode()


def _accepted_name(notice_id: uuid.UUID) -> str:
    return f"erasure-notice-accepted:{notice_id}"


Notice = DeletionCertificate.Notice


def erasure_notice_prepare(*, subject_id: uuid.UUID, recipient: str, language: str) -> ErasureNotice | None:
    """Before an erasure the person asked for: seal the address under a key of its own (kept in the cache
    only), in the language of the page they asked on. None, and nothing kept, if the address is not one we
    can send to or the key cannot be stored (the erasure goes ahead without the message: it must never wait
    for, or fail on, this). The person's one notice if it exists already."""
    existing = ErasureNotice.objects.filter(subject_id=subject_id).first()
    if existing is not None:
        return existing
    try:
        validate_email(recipient)
        language = supported_language(language)
    except (ValidationError, ValueError):
        return None
    notice_id = uuid.uuid4()
    key = os.urandom(32)
    ttl = int(settings.ERASURE_NOTICE_HOURS * 3600)
    try:
        cache.set(_key_name(notice_id), key, timeout=ttl)
    except Exception as exc:  # a cache that fails outright (the fallback cache normally answers)
        logger.warning("erasure notice not prepared: cache %s", type(exc).__name__)
        return None
    with audited_transaction():
        ErasureNotice.objects.bulk_create([ErasureNotice(
            id=notice_id, subject_id=subject_id, language=language,
            sealed_recipient=seal(key, recipient.encode(), _aad(notice_id)),
            expires_at=timezone.now() + timedelta(seconds=ttl))], ignore_conflicts=True)
    return ErasureNotice.objects.filter(subject_id=subject_id).first()


def _address(record: PersonalRecord) -> tuple[str, str] | None:
    """(channel, address): the email if they gave one, else their mobile number; None if neither. Raises
    KeyDestroyed if their key is already gone."""
    email = record.email
    if email:
        try:
            validate_email(email)
            return ErasureNotice.Channel.EMAIL, email
        except ValidationError:
            pass
    mobile = record.mobile
    if mobile is not None and mobile.is_valid():
        return ErasureNotice.Channel.SMS, mobile.as_e164
    return None


def _languages(subject_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The language of each person's latest message: the one they last used with us."""
    languages: dict[uuid.UUID, str] = {}
    for subject_id, language in (Notification.objects.filter(subject_id__in=subject_ids)
                                 .order_by("subject_id", "-created_at").values_list("subject_id", "language")):
        languages.setdefault(subject_id, language)
    return languages


def erasure_notices_prepare(subject_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Just before these people's keys are destroyed (apps.subjects erasure calls it, whatever ended their
    service): seal each one's address for their notice under a key of its own, one cache round trip and one
    insert for the batch. Returns how each is told ({subject id: DeletionCertificate.Notice}), for their
    certificates: their existing notice's channel, or none if we hold no address, or undeliverable if we
    held one and could not seal it (their key already gone, or the cache refused the keys)."""
    told = dict(ErasureNotice.objects.filter(subject_id__in=subject_ids).values_list("subject_id", "channel"))
    todo = [s for s in subject_ids if s not in told]
    if not todo:
        return told
    ttl = int(settings.ERASURE_NOTICE_HOURS * 3600)
    languages = _languages(todo)
    notices: list[ErasureNotice] = []
    keys: dict[str, bytes] = {}
    outcome: dict[uuid.UUID, str] = {s: Notice.NONE for s in todo}
    with key_scope():
        datakeys_prefetch(subject_ids=todo)
        for record in PersonalRecord.objects.filter(subject_id__in=todo):
            try:
                address = _address(record)
            except KeyDestroyed:  # a run that died after destroying the key: nothing can be read now
                outcome[record.subject_id] = Notice.UNDELIVERABLE
                continue
            if address is None:
                continue
            channel, recipient = address
            notice_id = uuid.uuid4()
            keys[_key_name(notice_id)] = key = os.urandom(32)
            notices.append(ErasureNotice(
                id=notice_id, subject_id=record.subject_id, channel=channel,
                language=languages.get(record.subject_id, settings.LANGUAGE_CODE),
                sealed_recipient=seal(key, recipient.encode(), _aad(notice_id)),
                expires_at=timezone.now() + timedelta(seconds=ttl)))
    if not notices:
        return {**outcome, **told}
    try:
        failed = cache.set_many(keys, timeout=ttl)
    except Exception as exc:  # Redis down: a key in this process's memory could not reach the worker that sends
        logger.warning("erasure notices not prepared: cache %s", type(exc).__name__)
        failed = list(keys)
    sealed = [n for n in notices if _key_name(n.pk) not in failed]
    with audited_transaction():
        ErasureNotice.objects.bulk_create(sealed, ignore_conflicts=True)  # a concurrent run's notice stays
    outcome.update({n.subject_id: Notice.UNDELIVERABLE for n in notices if _key_name(n.pk) in failed})
    outcome.update({n.subject_id: n.channel for n in sealed})
    return {**outcome, **told}


def erasure_notices_release(certificates: list[DeletionCertificate]) -> int:
    """Once the erasure has committed: the notices of these certificates' people are queued (one update for
    the batch, then a job each). Returns how many."""
    if not certificates:
        return 0
    by_subject = {c.subject_id: c.pk for c in certificates}
    with audited_transaction():
        waiting = list(ErasureNotice.objects.select_for_update().filter(
            subject_id__in=list(by_subject), state=ErasureNotice.State.WAITING).values_list("pk", flat=True))
        ErasureNotice.objects.filter(pk__in=waiting).update(
            state=ErasureNotice.State.PENDING, queued_at=timezone.now(),
            certificate_id=Case(*[When(subject_id=s, then=c) for s, c in by_subject.items()], output_field=UUIDField()))
        for notice_id in waiting:
            enqueue_on_commit("apps.notifications.tasks.erasure_notice_send_task", str(notice_id))
    return len(waiting)


@audited_transaction()
def erasure_notice_release(*, notice: ErasureNotice, certificate: DeletionCertificate | None, held: bool) -> bool:
    """After the erasure: with its certificate, the message is queued; under a legal hold (no certificate
    for now, maybe for years) it is dropped with its key. Without either (a worker is still erasing), it
    waits: the sweep releases it when the certificate exists. Returns whether it was queued."""
    if held:
        _drop(notice.pk)
        return False
    if certificate is None:
        return False
    queued = ErasureNotice.objects.filter(pk=notice.pk, state=ErasureNotice.State.WAITING).update(
        state=ErasureNotice.State.PENDING, certificate_id=certificate.pk, queued_at=timezone.now())
    if queued:
        enqueue_on_commit("apps.notifications.tasks.erasure_notice_send_task", str(notice.pk))
    return bool(queued)


def _drop(notice_id: uuid.UUID) -> None:
    ErasureNotice.objects.filter(pk=notice_id).delete()
    try:
        cache.delete(_key_name(notice_id))
    except Exception:  # expires by itself
        logger.info("erasure notice key left to expire id=%s", notice_id)


def erasure_notice_send(*, notice_id: uuid.UUID) -> bool:
    """Claim, open, send, forget. Returns True if this call sent it. A transient failure puts it back
    (raised for the task's retry); the last attempt, a permanent failure or a lost key drops it."""
    claimed = ErasureNotice.objects.filter(pk=notice_id, state=ErasureNotice.State.PENDING,
                                           expires_at__gt=timezone.now()).update(
        state=ErasureNotice.State.SENDING, attempts=F("attempts") + 1)
    if not claimed:
        return False
    notice = ErasureNotice.objects.get(pk=notice_id)
    if cache.get(_accepted_name(notice_id)):  # a worker died after the provider took it: never twice
        _finish(notice, sent=True)
        return False
    key = cache.get(_key_name(notice_id))
    if key is None:  # expired, or the cache lost it: the address cannot be read by anyone now
        _finish(notice, sent=False, error="KeyExpired")
        return False
    try:
        recipient = open_sealed(key, bytes(notice.sealed_recipient), _aad(notice_id)).decode()
        certificate = DeletionCertificate.objects.using(vault_db()).get(pk=notice.certificate_id)
        _deliver(notice, recipient=recipient, certificate=certificate)
    except Exception as exc:  # its text may quote the address: only the class name is kept
        error = type(exc).__name__[:100]
        if is_permanent(exc) or notice.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS:
            _finish(notice, sent=False, error=error)
            return False
        countdown = backoff(notice.attempts)
        ErasureNotice.objects.filter(pk=notice_id, state=ErasureNotice.State.SENDING).update(
            state=ErasureNotice.State.PENDING, queued_at=timezone.now() + timedelta(seconds=countdown))
        logger.info("erasure notice retry id=%s error=%s attempts=%s", notice_id, error, notice.attempts)
        raise NoticeRetry(countdown) from None
    try:
        cache.set(_accepted_name(notice_id), 1, timeout=int(settings.ERASURE_NOTICE_HOURS * 3600))
    except Exception:  # the row is deleted next; the mark only covers a death between the two
        logger.info("erasure notice acceptance not noted id=%s", notice_id)
    _finish(notice, sent=True)
    return True


def _deliver(notice: ErasureNotice, *, recipient: str, certificate: DeletionCertificate) -> None:
    context = {
        "certificate_id": str(certificate.pk),
        "reason": certificate.reason,
        "completed_at": certificate.completed_at,
        "certificate_url": settings.SITE_URL + reverse("certificate-signed", args=[certificate.pk]),
        "verify_url": f"{settings.SITE_URL}{reverse('verify')}?certificate={certificate.pk}",
    }
    if notice.channel == ErasureNotice.Channel.SMS:
        with translation.override(notice.language):
            _, text, _ = render_message(TEMPLATE, context, channel=ErasureNotice.Channel.SMS)
        get_sms_backend().send(SmsMessage(to=recipient, text=text, reference=str(notice.pk)))
        return
    with translation.override(notice.language):
        subject_line, text, html = render_message(TEMPLATE, context)
    email = EmailMultiAlternatives(
        subject=subject_line, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[recipient],
        reply_to=[settings.PRIVACY_OFFICER_EMAIL],
        headers={"Message-ID": message_id_for(notice), "Auto-Submitted": "auto-generated"})
    email.attach_alternative(html, "text/html")
    if certificate.signed:  # the signed certificate itself, to keep and check offline
        email.attach(f"deletion-certificate-{certificate.pk}.jws", certificate.signed, "application/jose")
    email.send()


def _finish(notice: ErasureNotice, *, sent: bool, error: str = "") -> None:
    with audited_transaction():
        ErasureNotice.objects.filter(pk=notice.pk).delete()
        detail = {"erasure_notice": str(notice.pk), "channel": notice.channel, "template": TEMPLATE,
                  "certificate": str(notice.certificate_id),
                  "attempts": notice.attempts, **({"error": error} if error else {})}
        audit_record(actor=SYSTEM, verb=Verb.NOTIFICATION_SENT if sent else Verb.NOTIFICATION_FAILED,
                     target=notice.subject_id, detail=detail)
    try:
        cache.delete(_key_name(notice.pk))
    except Exception:  # expires by itself
        logger.info("erasure notice key left to expire id=%s", notice.pk)
    logger.info("erasure notice %s id=%s attempts=%s", "sent" if sent else f"dropped ({error})", notice.pk,
                notice.attempts)


def erasure_notices_redrive(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Beat: drop what has expired, release what waited for a certificate, publish again what is stuck.
    Returns how many were queued."""
    now = timezone.now()
    for notice_id in ErasureNotice.objects.filter(expires_at__lte=now).values_list("pk", flat=True):
        _drop(notice_id)
    waiting = dict(ErasureNotice.objects.filter(state=ErasureNotice.State.WAITING,
                                                created_at__lt=now - older_than).values_list("subject_id", "pk"))
    certificates = DeletionCertificate.objects.using(vault_db()).filter(subject_id__in=list(waiting))
    queued = 0
    for certificate in certificates:
        notice = ErasureNotice.objects.filter(pk=waiting[certificate.subject_id]).first()
        if notice and erasure_notice_release(notice=notice, certificate=certificate, held=False):
            queued += 1
    stale = ErasureNotice.objects.filter(
        Q(state=ErasureNotice.State.PENDING, queued_at__lt=now - older_than)
        | Q(state=ErasureNotice.State.SENDING, queued_at__lt=now - timedelta(minutes=10)))
    for notice_id in list(stale.values_list("pk", flat=True)):
        with audited_transaction():
            if ErasureNotice.objects.filter(pk=notice_id).exclude(state=ErasureNotice.State.WAITING).update(
                    state=ErasureNotice.State.PENDING, queued_at=now):
                enqueue_on_commit("apps.notifications.tasks.erasure_notice_send_task", str(notice_id))
                queued += 1
    return queued
