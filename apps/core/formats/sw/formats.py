"""Swahili: day month year, 24-hour clock, as in English (with FORMAT_MODULE_PATH = ["apps.core.formats"])."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
