"""SMS backends, chosen by settings.SMS_BACKEND (a dotted path, like EMAIL_BACKEND).

A backend's send() returns the provider's message id. It raises SmsRejected when retrying cannot
help (an invalid or blocked number) and SmsUnavailable when it might (network, gateway, balance).
Neither exception carries the number or the provider's reply: both can end up in logs.
"""

import json
import logging
import sys
from dataclasses import dataclass
from typing import Any, TextIO

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsMessage:
    to: str  # E.164
    text: str
    reference: str  # our notification id, for logs and de-duplication


class SmsRejected(Exception):
    """Permanent: the provider will not deliver this message."""


class SmsUnavailable(Exception):
    """Transient: try again later."""


class BaseSmsBackend:
    def send(self, message: SmsMessage) -> str:
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Development: prints the message (personal data included) to stdout."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, message: SmsMessage) -> str:
        self.stream.write(f"--- SMS to {message.to} ({message.reference}) ---\n{message.text}\n---\n")
        self.stream.flush()
        return f"console-{message.reference}"


# Messages sent through the locmem backend; tests read and clear it.
outbox: list[SmsMessage] = []


class LocmemSmsBackend(BaseSmsBackend):
    """Tests: appends to `outbox`."""

    def send(self, message: SmsMessage) -> str:
        outbox.append(message)
        return f"locmem-{message.reference}"


class AfricasTalkingSmsBackend(BaseSmsBackend):
    """Production: Africa's Talking bulk SMS through their official SDK."""

    # https://developers.africastalking.com/docs/sms/sending/bulk: per-recipient status codes.
    ACCEPTED = {100, 101, 102}  # Processed, Sent, Queued
    TRANSIENT = {401, 405, 500, 501, 502}  # RiskHold, InsufficientBalance, InternalServerError, Gateway*

    def __init__(self) -> None:
        from africastalking.SMS import SMSService

        username, api_key = settings.AFRICASTALKING_USERNAME, settings.AFRICASTALKING_API_KEY
        if not username or not api_key:
            raise ImproperlyConfigured(
                "SMS_BACKEND is Africa's Talking but AFRICASTALKING_USERNAME or AFRICASTALKING_API_KEY "
                "(or AFRICASTALKING_API_KEY_FILE) is not set."
            )
        self.sender_id = settings.AFRICASTALKING_SENDER_ID or None
        self.service = SMSService(username, api_key)

    def send(self, message: SmsMessage) -> str:
        import requests
        from africastalking.Service import AfricasTalkingException

        try:
            reply: Any = self.service.send(message.text, [message.to], sender_id=self.sender_id)
        except ValueError:  # the SDK's own number check; its message quotes the number
            raise SmsRejected("invalid phone number") from None
        except (requests.RequestException, AfricasTalkingException) as exc:
            logger.warning("africastalking unavailable ref=%s error=%s", message.reference, type(exc).__name__)
            raise SmsUnavailable(type(exc).__name__) from None
        try:
            # The SDK returns text unless the content type is exactly application/json.
            data = json.loads(reply) if isinstance(reply, str | bytes) else reply
            recipients = data["SMSMessageData"]["Recipients"]
        except (ValueError, KeyError, TypeError):
            raise SmsUnavailable("unreadable reply") from None
        if not recipients:  # e.g. InvalidSenderId: nothing was sent to anyone
            logger.warning("africastalking sent to no one ref=%s", message.reference)
            raise SmsUnavailable("no recipients accepted")
        status = recipients[0].get("statusCode")
        if status in self.ACCEPTED:
            return str(recipients[0].get("messageId", ""))
        logger.warning("africastalking refused ref=%s status=%s", message.reference, status)
        if status in self.TRANSIENT:
            raise SmsUnavailable(f"status {status}")
        raise SmsRejected(f"status {status}")


def get_sms_backend() -> BaseSmsBackend:
    return import_string(settings.SMS_BACKEND)()
