"""Queueing jobs after commit without letting a broker outage break the request.

Every job that must happen is already a row in the database when this runs; if the broker is
down the publish fails here, is logged (ids only), and the sweep re-drives the row later. The
publish is bounded (settings: connect timeout, a short retry policy, no result store), and no
error of any kind escapes it: the transaction has committed, so the response must say so.

A job is named by its task's registered name (`apps.<app>.tasks.<function>`): a service never imports
its app's tasks module, which imports the service (no import circle inside an app; tests/core/test_house.py).
The name is looked up when the job is queued, so a name no task has fails at once, inside the request.
"""

import logging
from collections.abc import Callable
from typing import Any

from celery import Task, current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def registered_task(name: str) -> Task:
    """The task registered under `name`; the apps' tasks modules are imported the first time one is missing
    (Celery imports them in a worker; a web process need not have)."""
    if name not in current_app.tasks:
        current_app.loader.import_default_modules()
    try:
        return current_app.tasks[name]
    except KeyError:
        raise LookupError(f"no task is registered as {name!r}") from None


def enqueue_on_commit(task_name: str, *args: Any, using: str | None = None,
                      published: Callable[[], None] | None = None) -> None:
    """Publish the task named `task_name` after commit; `published` runs once the broker has the message
    (e.g. to stamp the row).

    Task arguments are ids by convention (house rule), so they may be logged.
    """
    task = registered_task(task_name)

    def publish() -> None:
        try:
            task.delay(*args)
        except Exception as exc:  # any failure: the row is committed and the sweep re-drives it
            logger.warning("publish failed (%s); %s %s left for the sweep", type(exc).__name__, task.name, args)
            return
        if published is not None:
            try:
                published()
            except Exception as exc:  # the stamp is an optimisation of the sweep, never a reason to fail
                logger.warning("publish stamp failed (%s) for %s %s", type(exc).__name__, task.name, args)

    transaction.on_commit(publish, using=using)
