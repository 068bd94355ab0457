"""The one beat schedule (privacy_portal/beat.py): every entry names a registered task, each runs, and no
sweep that re-drives lost work is left out of it."""

import pytest
from django.conf import settings

from apps.core.jobs import registered_task
from privacy_portal.celery import app


def test_every_entry_names_a_registered_task():
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        registered_task(entry["task"])  # LookupError names the entry's task otherwise
        assert entry["schedule"] > 0, name


@pytest.mark.django_db
@pytest.mark.parametrize("entry", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_each_entry_runs(entry, demo_purposes, mailoutbox):
    scheduled = settings.CELERY_BEAT_SCHEDULE[entry]
    result = registered_task(scheduled["task"]).apply(kwargs=scheduled.get("kwargs", {}), throw=True)
    assert result.successful()


def test_every_redrive_sweep_is_scheduled():
    registered_task("apps.core.tasks.ping")  # every app's tasks imported
    sweeps = {name for name in app.tasks if name.startswith("apps.") and name.endswith("redrive_task")}
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert sweeps and sweeps <= scheduled, sweeps - scheduled
