import uuid

from celery import shared_task

from apps.vault.services import key_scope

from . import services


@shared_task(autoretry_for=(Exception,), retry_backoff=2, retry_backoff_max=60, max_retries=10)
def link_request_task(request_id: str) -> int:
    with key_scope():
        return services.link_request_process(request_id=uuid.UUID(request_id))


@shared_task
def link_requests_redrive_task() -> int:
    return services.link_requests_redrive()


@shared_task
def retention_notices_task() -> int:
    with key_scope():
        return services.retention_notices_send()
