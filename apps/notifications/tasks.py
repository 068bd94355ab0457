"""Thin tasks: ids in, a service call, Celery retries. No personal data in arguments."""

import logging
import uuid

from celery import shared_task

from apps.vault.services import key_scope

from . import erasure_notices, services

logger = logging.getLogger(__name__)


# max_retries=None: the row counts attempts and stops raising after NOTIFICATION_MAX_ATTEMPTS.
@shared_task(bind=True, max_retries=None)
def notification_send_task(self, notification_id: str) -> bool:
    try:
        with key_scope():
            return services.notification_send(notification_id=uuid.UUID(notification_id))
    except services.TransientSendError as exc:
        if self.request.is_eager:
            # Run in-process (no broker configured): the request that queued it must not fail
            # after its commit. The row is PENDING with its retry time; the sweep sends it.
            return False
        raise self.retry(countdown=exc.countdown, exc=exc) from None


@shared_task(bind=True)
def notifications_send_task(self, notification_ids: list[str]) -> int:
    """A batch of messages over one connection. Transient failures are PENDING again with their retry
    time; each is published again on its own, with its countdown (run in-process: the sweep sends it)."""
    with key_scope():
        outcome = services.notifications_send(notification_ids=[uuid.UUID(pk) for pk in notification_ids])
    if not self.request.is_eager:
        for notification_id, countdown in outcome.retries:
            try:
                notification_send_task.apply_async((str(notification_id),), countdown=countdown)
            except Exception as exc:  # the row is PENDING with its retry time: the sweep re-drives it
                logger.warning("retry publish failed (%s) for notification %s", type(exc).__name__, notification_id)
    return outcome.sent


@shared_task
def notifications_redrive_task() -> int:
    return services.notifications_redrive()


@shared_task(bind=True, max_retries=None)
def erasure_notice_send_task(self, notice_id: str) -> bool:
    try:
        return erasure_notices.erasure_notice_send(notice_id=uuid.UUID(notice_id))
    except erasure_notices.NoticeRetry as exc:
        if self.request.is_eager:  # in-process: the sweep sends it again after its countdown
            return False
        raise self.retry(countdown=exc.countdown, exc=exc) from None


@shared_task
def erasure_notices_redrive_task() -> int:
    return erasure_notices.erasure_notices_redrive()
