"""The Celery app, configured from Django settings (namespace CELERY_)."""

import logging
import os

from celery import Celery
from celery.signals import worker_process_init
from kombu.transport import redis as kombu_redis
from kombu.transport import virtual as kombu_virtual

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacy_portal.settings")

logger = logging.getLogger(__name__)

app = Celery("privacy_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _heartbeat_in_pool_process(**kwargs: object) -> None:
    """Each pool process beats on its own: a killed child is noticed even if its parent lives."""
    from apps.core.liveness import heartbeat_start

    heartbeat_start()


_restore_unacked = kombu_redis.QoS.restore_unacked
_ack = kombu_redis.QoS.ack
_reject = kombu_redis.QoS.reject


def _channel_gone(qos: kombu_redis.QoS) -> bool:
    """The broker connection under this channel was closed (what a dropped Redis leaves behind)."""
    connection = getattr(qos.channel, "connection", None)
    return connection is None or getattr(connection, "client", None) is None


def restore_unacked_guarded(self: kombu_redis.QoS, client: object = None) -> None:
    """kombu's Redis QoS hands the messages a worker holds back to the queue when its channel closes. When the
    broker connection drops while the worker holds an unacknowledged message, the channel's connection can be
    gone already, and kombu 5.7.0 (the newest) raises AttributeError ("'NoneType' object has no attribute
    'hostname'", or "... 'client'", from Channel._connparams), which celery reports as an unrecoverable error
    and the worker process exits: kombu issues #970 and #582 (celery/kombu), no fixed release. Guarded here: the
    messages stay in Redis's unacked set, where kombu's restore_visible hands them back after the visibility
    timeout, and the rows they point at are re-driven by beat's sweeps long before that. systemd (and `make
    worker`) restart a worker that exits anyway."""
    try:
        return _restore_unacked(self, client)
    except AttributeError:
        if not _channel_gone(self):
            raise
        logger.warning("broker connection gone before %s unacknowledged message(s) could be handed back; "
                       "they return after the visibility timeout", len(self._delivered))
        self._delivered.clear()
        return None


def ack_guarded(self: kombu_redis.QoS, delivery_tag: object) -> None:
    """The same race on acknowledging a job a pool process finished just after the connection dropped (the
    bench's Redis stops met it once in five): the message stays in the unacked set and comes back after the
    visibility timeout; delivered again, its job is claimed with a conditional UPDATE and changes nothing."""
    try:
        _ack(self, delivery_tag)
    except AttributeError:
        if not _channel_gone(self):
            raise
        logger.warning("broker connection gone before a finished job's message could be acknowledged")
        kombu_virtual.QoS.ack(self, delivery_tag)  # forget it here; Redis keeps it until the visibility timeout


def reject_guarded(self: kombu_redis.QoS, delivery_tag: object, requeue: bool = False) -> None:
    try:
        _reject(self, delivery_tag, requeue=requeue)
    except AttributeError:
        if not _channel_gone(self):
            raise
        logger.warning("broker connection gone before a message could be rejected")
        kombu_virtual.QoS.ack(self, delivery_tag)


kombu_redis.QoS.restore_unacked = restore_unacked_guarded
kombu_redis.QoS.ack = ack_guarded
kombu_redis.QoS.reject = reject_guarded
