"""The send policy both kinds of message share (notifications and erasure notices): which failures are
permanent, how long to wait before the next try, the language a message is rendered in, and its
Message-ID. Neither sender reaches into the other's private helpers."""

import smtplib
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail.utils import DNS_NAME
from django.template import TemplateDoesNotExist, TemplateSyntaxError
from django.utils import translation

from apps.vault.services import KeyDestroyed

from .backends import SmsRejected


def supported_language(language: str) -> str:
    try:
        return translation.get_supported_language_variant(language)
    except LookupError:
        raise ValueError(f"language {language!r} is not in settings.LANGUAGES") from None


def message_id_for(message: Any) -> str:
    """Stable per row (a notification or an erasure notice), so a message sent twice (worker died after
    sending) can be de-duplicated."""
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or str(DNS_NAME)
    return f"<{message.pk}@{domain}>"


def is_permanent(exc: Exception) -> bool:
    """Whether retrying cannot help. Anything not known to be permanent is retried."""
    if isinstance(exc, SmsRejected | KeyDestroyed | TemplateDoesNotExist | TemplateSyntaxError):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return bool(exc.recipients) and all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPDataError):
        return exc.smtp_code >= 500
    return False


def backoff(attempts: int) -> int:
    """Seconds before the next try: 10, 20, 40, ... up to NOTIFICATION_RETRY_BACKOFF_MAX."""
    return min(settings.NOTIFICATION_RETRY_BACKOFF_MAX, 10 * 2 ** max(attempts - 1, 0))
