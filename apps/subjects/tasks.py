"""Thin tasks: ids in, a service call, Celery retries. No personal data in arguments."""

import uuid

from celery import shared_task

from apps.vault.services import key_scope

from . import services


@shared_task(autoretry_for=(Exception,), retry_backoff=2, retry_backoff_max=60, max_retries=10)
def subject_erase_task(job_id: str) -> str | None:
    with key_scope():
        certificate = services.erasure_job_run(job_id=uuid.UUID(job_id))
    return str(certificate.pk) if certificate else None


@shared_task
def erasure_redrive_task() -> int:
    return services.erasure_jobs_redrive()


@shared_task
def enforce_retention_task() -> int:
    services.orphans_remove()
    return services.enforce_retention()
