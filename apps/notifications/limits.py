"""How many SMS one number may receive from us: every SMS we queue counts against its number.

SMS cost money and reach a phone in our sender's name, and our forms let anyone name a number. A number gets at
most SMS_PER_NUMBER_LIMITS messages per window (by default 3 an hour and 10 a day) of the kinds anyone can
cause to be sent to a number they typed (LIMITED: a form's confirmation, a new link asked for by number); one
beyond that is not queued, and the audit log says so without the number. What the person asks for through
their own link (a step-up code) and what has a rule of its own (a referee is told at most once a month) is
counted but never refused: a stranger cannot use up a person's own messages. Counted in the shared cache
(Redis, with the per-process fallback of apps.core.cache) under a keyed hash of the number, never the number
itself; a window starts with its first message."""

from django.conf import settings
from django.core.cache import cache

from apps.vault.services import blind_index_for


def _keys(recipient: str) -> list[tuple[str, int, int]]:
    digest = blind_index_for(kind="sms-limit", normalised=recipient)
    return [(f"sms-limit:{seconds}:{digest}", count, seconds) for count, seconds in settings.SMS_PER_NUMBER_LIMITS]


LIMITED = frozenset({"confirmation", "new_link"})


def sms_allowance_take(*, recipient: str, template: str) -> bool:
    """Count one SMS to this number (E.164) in every window; False, and nothing counted, if it is of a LIMITED
    kind and a window is full."""
    keys = _keys(recipient)
    if template in LIMITED and any((cache.get(key) or 0) >= count for key, count, _seconds in keys):
        return False
    for key, _count, seconds in keys:
        if not cache.add(key, 1, timeout=seconds):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr: the window starts again
                cache.add(key, 1, timeout=seconds)
    return True
