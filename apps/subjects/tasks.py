"""Thin tasks: ids in, a service call, Celery retries. No personal data in arguments."""

import uuid

from celery import shared_task
from django.conf import settings

from apps.subjects import services
from apps.vault.services import key_scope


# A message not started within ERASURE_REQUEUE_SECONDS is dropped unstarted; the sweep publishes it again.
@shared_task(autoretry_for=(Exception,), retry_backoff=2, retry_backoff_max=60, max_retries=10,
             soft_time_limit=settings.ERASURE_TIME_LIMIT - 20, time_limit=settings.ERASURE_TIME_LIMIT,
             expires=settings.ERASURE_REQUEUE_SECONDS)
def subjects_erase_task(job_ids: list[str]) -> int:
    with key_scope():
        return len(services.erasure_jobs_run(job_ids=[uuid.UUID(pk) for pk in job_ids]))


@shared_task
def erasure_redrive_task() -> int:
    return services.erasure_jobs_redrive()


@shared_task
def enforce_retention_task() -> int:
    services.orphans_remove()
    return services.enforce_retention()


@shared_task
def vacancies_close_task() -> int:
    return services.vacancies_close_due()
