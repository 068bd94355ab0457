"""The SMS backends; Africa's Talking through its SDK against a loopback HTTP server."""

import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from africastalking.SMS import SMSService
from django.core.exceptions import ImproperlyConfigured

from apps.notifications.backends import (
    AfricasTalkingSmsBackend,
    ConsoleSmsBackend,
    SmsMessage,
    SmsRejected,
    SmsUnavailable,
    get_sms_backend,
)
from apps.notifications.models import Notification
from apps.notifications.services import TransientSendError, notification_send
from tests.factories import SubjectFactory
from tests.notifications.fakes import queue_without_sending

LINK = "https://portal.example.org/me/tok-789/"


class FakeAfricasTalking:
    """Records each request and answers with the next queued (status, body)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.replies: list[tuple[int, dict]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's hook name)
                body = self.rfile.read(int(self.headers["Content-Length"])).decode()
                fake.requests.append({"path": self.path, "headers": dict(self.headers), "form": parse_qs(body)})
                status, reply = fake.replies.pop(0) if fake.replies else (201, fake.accepted())
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"

    @staticmethod
    def accepted(message_id: str = "ATXid_4f1c2b", status: int = 101) -> dict:
        return {"SMSMessageData": {"Message": "Sent to 1/1 Total Cost: KES 0.8000", "Recipients": [
            {"statusCode": status, "number": "+254712000001", "status": "Success", "cost": "KES 0.8000",
             "messageId": message_id}]}}


@pytest.fixture
def africastalking(settings, monkeypatch) -> Iterator[FakeAfricasTalking]:
    fake = FakeAfricasTalking()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    settings.SMS_BACKEND = "apps.notifications.backends.AfricasTalkingSmsBackend"
    settings.AFRICASTALKING_USERNAME = "jamii"
    settings.AFRICASTALKING_API_KEY = "atsk_test_key_123"
    settings.AFRICASTALKING_SENDER_ID = "JAMII"
    original = SMSService._init_service

    def init_service(self) -> None:  # the SDK keeps its endpoint in _baseUrl
        original(self)
        self._baseUrl = f"{fake.url}/version1"

    monkeypatch.setattr(SMSService, "_init_service", init_service)
    yield fake
    fake.server.shutdown()
    fake.server.server_close()


def _queued_sms() -> Notification:
    return queue_without_sending(subject=SubjectFactory(), channel="sms", template="new_link",
                                 recipient="0712 000 001", context={"link": LINK})


@pytest.mark.django_db
def test_africastalking_is_called_as_the_sdk_documents_and_its_message_id_is_stored(africastalking):
    notification = _queued_sms()

    assert notification_send(notification_id=notification.pk) is True

    [request] = africastalking.requests
    assert request["path"] == "/version1/messaging"
    assert request["headers"]["apiKey"] == "atsk_test_key_123"
    form = request["form"]
    assert form["username"] == ["jamii"]
    assert form["to"] == ["+254712000001"]
    assert form["from"] == ["JAMII"]
    assert LINK in form["message"][0]
    notification.refresh_from_db()
    assert notification.status == Notification.Status.SENT
    assert notification.provider_message_id == "ATXid_4f1c2b"


@pytest.mark.django_db
def test_a_number_africastalking_rejects_fails_at_once(africastalking):
    africastalking.replies.append((201, FakeAfricasTalking.accepted(status=403)))  # InvalidPhoneNumber
    notification = _queued_sms()
    assert notification_send(notification_id=notification.pk) is False
    notification.refresh_from_db()
    assert notification.status == Notification.Status.FAILED and notification.last_error == "SmsRejected"


@pytest.mark.django_db
def test_an_africastalking_outage_is_retried(africastalking):
    africastalking.replies.append((500, {"error": "internal error for +254712000001"}))
    notification = _queued_sms()
    with pytest.raises(TransientSendError) as excinfo:
        notification_send(notification_id=notification.pk)
    assert "+254712000001" not in str(excinfo.value)
    notification.refresh_from_db()
    assert notification.status == Notification.Status.PENDING and notification.last_error == "SmsUnavailable"

    assert notification_send(notification_id=notification.pk) is True  # the gateway is back
    assert len(africastalking.requests) == 2


def test_insufficient_balance_is_transient(africastalking):
    africastalking.replies.append((201, FakeAfricasTalking.accepted(status=405)))
    with pytest.raises(SmsUnavailable):
        get_sms_backend().send(SmsMessage(to="+254712000001", text="hello", reference="r1"))


def test_the_sdks_own_number_check_becomes_a_rejection_without_the_number(africastalking):
    with pytest.raises(SmsRejected) as excinfo:
        get_sms_backend().send(SmsMessage(to="0712000001", text="hello", reference="r1"))
    assert "0712000001" not in str(excinfo.value)
    assert africastalking.requests == []


def test_africastalking_without_credentials_says_what_to_set(settings):
    settings.AFRICASTALKING_USERNAME = ""
    settings.AFRICASTALKING_API_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="AFRICASTALKING_API_KEY"):
        AfricasTalkingSmsBackend()


def test_the_console_backend_prints_the_message():
    stream = io.StringIO()
    message_id = ConsoleSmsBackend(stream=stream).send(SmsMessage(to="+254712000001", text="hi", reference="r9"))
    assert "+254712000001" in stream.getvalue() and "hi" in stream.getvalue()
    assert message_id == "console-r9"


def test_the_default_backend_is_the_console_in_development_and_africastalking_in_production(settings):
    from privacy_portal import settings as module

    expected = "ConsoleSmsBackend" if module.DEBUG else "AfricasTalkingSmsBackend"
    assert module.SMS_BACKEND == f"apps.notifications.backends.{expected}"
