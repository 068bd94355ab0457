"""Thin tasks: beat triggers, each a call to a service."""

from celery import shared_task

from . import services


@shared_task
def audit_anchor_task(email: bool = False) -> None:
    services.audit_anchor_publish(email=email)
