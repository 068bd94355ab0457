"""A slower sign-in rate per username, whatever the address, that never locks the account.

django-axes locks a (username, address) pair and an address (settings.AXES_LOCKOUT_PARAMETERS): never the
username alone, or anyone could keep a staff member out by failing with their name. Failures spread over many
addresses are slowed here instead: once a username has STAFF_USERNAME_FAILURE_LIMIT failed sign-ins still held
by axes (within its cool-off), each try waits STAFF_USERNAME_DELAY_SECONDS after the last failure. The owner
is at most that many seconds from signing in; a guesser gets one try per delay instead of one per address.
The count is axes' own record of failures (AccessAttempt), so nothing else about staff is kept."""

import math
from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.utils import timezone


def signin_wait_seconds(*, username: str) -> int:
    """How long a sign-in for this username must still wait (0: it may try now)."""
    if not username:
        return 0
    held = AccessAttempt.objects.filter(username=username).aggregate(failures=Sum("failures_since_start"),
                                                                     last=Max("attempt_time"))
    if (held["failures"] or 0) < settings.STAFF_USERNAME_FAILURE_LIMIT:
        return 0
    left = held["last"] + timedelta(seconds=settings.STAFF_USERNAME_DELAY_SECONDS) - timezone.now()
    return max(0, math.ceil(left.total_seconds()))
