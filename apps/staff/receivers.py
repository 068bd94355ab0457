"""A thin receiver of django-axes' lock-out signal, the only hook the library gives: one service call."""

from django.conf import settings
from django.http import HttpRequest

from .services import sign_in_lock_record


def sign_in_locked(sender, request: HttpRequest | None = None, username: str | None = None, **kwargs) -> None:
    """axes sends user_locked_out on every refused try while an address is locked; the failure that reaches
    the limit is the lock itself, and only it is audited."""
    if getattr(request, "axes_failures_since_start", None) == settings.AXES_FAILURE_LIMIT:
        sign_in_lock_record(username=username or "", failures=settings.AXES_FAILURE_LIMIT)
