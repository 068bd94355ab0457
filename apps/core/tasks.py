from celery import shared_task


@shared_task
def ping(token: str) -> str:
    """Round-trip check used by operators and the test harness: returns what it was given."""
    return token
