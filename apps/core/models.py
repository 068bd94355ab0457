"""The site's own bookkeeping (nothing about a person)."""

from django.db import models


class BeatRun(models.Model):
    """When the beat that schedules last sent each entry of its schedule (apps.core.beat). A standby beat
    that takes over reads these, so it never sends again a job the one before it sent within its interval;
    /healthz reads the newest to tell whether any beat schedules at all."""

    name = models.CharField(max_length=200, primary_key=True)  # the entry's name in CELERY_BEAT_SCHEDULE
    last_run_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} last sent {self.last_run_at:%Y-%m-%d %H:%M:%S}"
