"""Thin tasks: a service call, Celery retries."""

from celery import shared_task

from apps.audit.services import audit_anchor_publish

from . import transparency


@shared_task
def tree_head_publish_task() -> int | None:
    head = transparency.tree_head_publish()
    return head.size if head else None


@shared_task
def audit_anchor_log_task(email: bool = False) -> int:
    """Take an audit anchor (a log line, an email when asked, a row) and append it to the public log."""
    audit_anchor_publish(email=email)
    return transparency.anchors_log()
