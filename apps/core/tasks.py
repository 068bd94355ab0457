from celery import shared_task


# Its result is read (by the harness and operators); every other task ignores results.
@shared_task(ignore_result=False)
def ping(token: str) -> str:
    """Round-trip check used by operators and the test harness: returns what it was given."""
    return token
