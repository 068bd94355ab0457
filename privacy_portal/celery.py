"""The Celery app, configured from Django settings (namespace CELERY_)."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacy_portal.settings")

app = Celery("privacy_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _heartbeat_in_pool_process(**kwargs: object) -> None:
    """Each pool process beats on its own: a killed child is noticed even if its parent lives."""
    from apps.core.liveness import heartbeat_start

    heartbeat_start()
