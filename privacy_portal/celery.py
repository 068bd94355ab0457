"""The Celery app, configured from Django settings (namespace CELERY_)."""

import logging
import os

from celery import Celery
from celery.signals import worker_process_init
from kombu.transport import redis as kombu_redis

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


def restore_unacked_guarded(self: kombu_redis.QoS, client: object = None) -> None:
    """kombu's Redis QoS hands the messages a worker holds back to the queue when its channel closes. When the
    broker connection drops while the worker holds an unacknowledged message, the channel's connection can be
    gone already, and kombu 5.7.0 (the newest) raises AttributeError ("'NoneType' object has no attribute
    'hostname'", from Channel._connparams), which celery reports as an unrecoverable error and the worker
    process exits: kombu issues #970 and #582 (celery/kombu), no fixed release. Guarded here: the messages stay
    in Redis's unacked set, where kombu's restore_visible hands them back after the visibility timeout, and the
    rows they point at are re-driven by beat's sweeps long before that. systemd (and `make worker`) restart a
    worker that exits anyway."""
    try:
        return _restore_unacked(self, client)
    except AttributeError:
        logger.warning("broker connection gone before %s unacknowledged message(s) could be handed back; "
                       "they return after the visibility timeout", len(self._delivered))
        self._delivered.clear()
        return None


kombu_redis.QoS.restore_unacked = restore_unacked_guarded
