"""Thin tasks: beat triggers, each a call to a service."""

from celery import shared_task

from . import services


@shared_task
def referee_notices_expire_task() -> int:
    return services.referee_notices_expire()


@shared_task
def pending_requests_expire_task() -> int:
    return services.pending_requests_expire()
