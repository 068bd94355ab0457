"""`make demo` for a newcomer: the admin's sign-in with an enrolment code, the demo applicant's private link
printed last and labelled (the messages
the demo sends go to a file), no Redis/kombu warning without Redis, and links on the port it serves."""

import os
import re
import subprocess
import sys

from privacy_portal.settings import _runserver_url
from tests.conftest import ROOT


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items()
             if k not in {"DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE", "REDIS_URL", "DATABASE_URL",
                          "VAULT_DATABASE_URL", "SITE_URL", "EMAIL_URL", "SMS_BACKEND"}}
    clean.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True,
                          text=True, timeout=300)


def test_seed_demo_prints_the_private_link_last_labelled_without_broker_warnings(tmp_path):
    messages = tmp_path / "demo-messages.txt"  # its own: another test process may be seeding too
    env = {"DEBUG": "1", "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}", "SITE_URL": "http://127.0.0.1:8123",
           "DEMO_MESSAGES_FILE": str(messages)}
    assert _manage("migrate", "--noinput", **env).returncode == 0
    result = _manage("seed_demo", **env)
    assert result.returncode == 0, result.stderr
    lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    assert lines[-2] == "The demo applicant's private link (open it to try the self-service pages):"
    assert re.fullmatch(r"http://127\.0\.0\.1:8123/me/[\w-]+/", lines[-1])
    # The admin's sign-in, with a one-time code for setting up its authenticator app on the first sign-in.
    assert re.search(r"Admin: http://127\.0\.0\.1:8123/admin/ +\(admin / demo-admin-password\)\n +First sign-in: "
                     r".*enrolment code: [0-9A-F]{4}(-[0-9A-F]{4}){3}\n", result.stdout)
    assert "Content-Type" not in result.stdout and "--- SMS" not in result.stdout  # no raw messages
    assert "WARNING" not in result.stderr and "kombu" not in result.stderr.lower()
    sent = messages.read_text()
    assert "Content-Type" in sent and "--- SMS" in sent
    assert set(re.findall(r"http://127\.0\.0\.1:\d+", sent)) == {"http://127.0.0.1:8123"}


def test_in_development_links_follow_the_runserver_port():
    assert _runserver_url(["manage.py", "runserver", "8001"]) == "http://127.0.0.1:8001"
    assert _runserver_url(["manage.py", "runserver", "0.0.0.0:9000"]) == "http://127.0.0.1:9000"
    assert _runserver_url(["manage.py", "runserver", "--noreload"]) == "http://127.0.0.1:8000"
    assert _runserver_url(["manage.py", "migrate"]) == ""
    result = _manage("shell", "-c", "from django.conf import settings; print(settings.SITE_URL)", DEBUG="1")
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8000"
