"""Thin tasks: a service call, Celery retries."""

from celery import shared_task

from . import transparency


@shared_task
def tree_head_publish_task() -> int | None:
    head = transparency.tree_head_publish()
    return head.size if head else None
