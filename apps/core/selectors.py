"""Reads about the health of the parts the site depends on."""

from django.conf import settings
from django.db import connections


def health_check_failures() -> list[str]:
    """Names of the parts that did not answer: 'database', 'broker'."""
    failed = []
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any failure means the database is not usable
        failed.append("database")
    if settings.REDIS_URL:
        from privacy_portal.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
        except Exception:  # the broker did not answer in time
            failed.append("broker")
    return failed
