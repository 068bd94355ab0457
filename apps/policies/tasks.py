"""Thin tasks: ids in, a service call. No personal data in arguments."""

import uuid

from celery import shared_task

from apps.vault.services import key_scope

from . import services


@shared_task
def campaign_fan_out_task(campaign_id: str) -> int:
    return services.campaign_fan_out(campaign_id=uuid.UUID(campaign_id))


# acks_late + reject_on_worker_lost (the project's defaults): a worker killed mid-batch leaves the message
# to another; the batch's transaction rolled back, so it is written once.
@shared_task
def campaign_batch_task(batch_id: str) -> int:
    with key_scope():
        return services.campaign_batch_write(batch_id=uuid.UUID(batch_id))


@shared_task
def campaigns_redrive_task() -> int:
    return services.campaigns_redrive()


@shared_task
def policies_bring_into_force_task() -> int:
    return services.policies_bring_into_force()
