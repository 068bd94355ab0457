"""One clock on staff pages: a moment is shown in Nairobi time (TIME_ZONE) in the language's DATETIME_FORMAT,
exactly as the admin's lists and the templates' `|date:"DATETIME_FORMAT"` print it, so a deadline reads the
same on the registers and the dashboard. (strftime on a stored datetime prints UTC: never on a page.)"""

from datetime import datetime

from django.utils import formats, timezone


def staff_time(value: datetime | None) -> str:
    if value is None:
        return "—"
    return formats.date_format(timezone.localtime(value), "DATETIME_FORMAT")
