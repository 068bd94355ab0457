import copy
from collections.abc import Iterator
from pathlib import Path

import pytest

from apps.notifications import backends
from tests.notifications.fakes import FlakyEmailBackend

TEST_TEMPLATES = Path(__file__).resolve().parent / "templates"


@pytest.fixture
def sms_outbox(settings) -> Iterator[list[backends.SmsMessage]]:
    settings.SMS_BACKEND = "apps.notifications.backends.LocmemSmsBackend"
    backends.outbox.clear()
    yield backends.outbox
    backends.outbox.clear()


@pytest.fixture
def flaky_email(settings, mailoutbox) -> Iterator[list[Exception]]:
    """Queue exceptions in the returned list; each send raises the next one, then mail goes to mailoutbox."""
    settings.EMAIL_BACKEND = "tests.notifications.fakes.FlakyEmailBackend"
    FlakyEmailBackend.failures = []
    yield FlakyEmailBackend.failures
    FlakyEmailBackend.failures = []


@pytest.fixture
def test_templates(settings) -> None:
    """Templates that exist only for tests (tests/notifications/templates)."""
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], TEST_TEMPLATES]
    settings.TEMPLATES = templates
