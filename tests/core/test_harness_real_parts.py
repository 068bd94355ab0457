"""Smoke tests of the harness itself: each real part answers."""

import uuid

import pytest
from django.core.mail import send_mail

from apps.core.tasks import ping
from tests.conftest import wait_for

pytestmark = pytest.mark.real_services


def test_a_task_round_trips_through_redis_and_the_worker_process(celery_worker):
    token = uuid.uuid4().hex
    result = ping.delay(token)
    assert result.get(timeout=30) == token
    assert celery_worker.proc.poll() is None  # answered by the separate process, which is still up


def test_an_email_sent_by_the_app_arrives_at_the_smtp_server(mailbox):
    send_mail("Harness check", "Hello from the app.", None, ["someone@example.org"])
    message = wait_for(lambda: mailbox and mailbox[0])
    assert message["Subject"] == "Harness check"
    assert message["X-Envelope-To"] == "someone@example.org"


def test_the_home_page_renders_in_chromium_without_console_errors(page):
    page.goto("/")
    assert page.locator("h1").inner_text() == "Jobs open now"
    assert page.console_errors == []
    assert page.foreign_requests == []
