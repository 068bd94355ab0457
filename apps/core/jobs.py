"""Queueing jobs after commit without letting a broker outage break the request.

Every job that must happen is already a row in the database when this runs; if the broker is
down the publish fails here, is logged (ids only), and the sweep re-drives the row later.
"""

import logging
from collections.abc import Callable
from typing import Any

from celery import Task
from django.db import transaction
from kombu.exceptions import OperationalError

logger = logging.getLogger(__name__)


def enqueue_on_commit(task: Task, *args: Any, using: str | None = None,
                      published: Callable[[], None] | None = None) -> None:
    """Publish after commit; `published` runs once the broker has the message (e.g. to stamp the row)."""

    def publish() -> None:
        try:
            task.delay(*args)
        except OperationalError:
            logger.warning("broker unavailable; %s %s left for the sweep", task.name, args)
            return
        if published is not None:
            published()

    transaction.on_commit(publish, using=using)
