"""Thin tasks: beat triggers, each a call to a service."""

from celery import shared_task

from . import intake, uploads


@shared_task
def referee_notices_expire_task() -> int:
    return intake.referee_notices_expire()


@shared_task
def intakes_expire_task() -> tuple[int, int]:
    return intake.intakes_expire()


@shared_task
def uploads_kept_expire_task() -> int:
    return uploads.uploads_kept_expire()
