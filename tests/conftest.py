"""The test harness: real PostgreSQL/Redis when configured, a Celery worker process, an SMTP
server on loopback and headless Chromium.

A real-service fixture whose service is missing skips its test on a developer's machine and
fails it in CI (CI=true), where a skipped test counts as a failed one.
"""

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.db.backends.signals import connection_created

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Under pytest-xdist each worker (gw0, gw1, ...) has its own test database (pytest-django's suffix), Redis
# database (tests/env.py), ports (all free ones), media folder (its own basetemp) and logs (below).
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def log_dir() -> Path:
    """Where this test process's services log: var/ alone, var/test-gwN/ under xdist."""
    path = ROOT / "var" / (f"test-{XDIST_WORKER}" if XDIST_WORKER else "")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not available here")


# --- the test database is emptied between tests by TRUNCATE, which production refuses for the audit log ---
def _allow_audit_truncate(sender, connection, **kwargs) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET privacy_portal.allow_audit_truncate = on")


connection_created.connect(_allow_audit_truncate)


# --- a skip is a failure in CI --------------------------------------------------------------
_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`postgresql_only` tests need PostgreSQL itself: skipped on the default SQLite run (in CI, where a skip
    fails the run, the database is PostgreSQL)."""
    if settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://…)")
    for item in items:
        if item.get_closest_marker("postgresql_only"):
            item.add_marker(skip)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if IN_CI and _skipped and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if IN_CI and _skipped:
        terminalreporter.write_line(f"CI: {len(_skipped)} skipped test(s) count as failures", red=True)


# --- rate-limit counters of an earlier run (kept in Redis for an hour) must not count in this one ---
@pytest.fixture(scope="session", autouse=True)
def _fresh_cache() -> None:
    from django.core.cache import cache

    cache.clear()


# --- pages cache what staff change (apps.core.cache); each test has a database of its own ---
@pytest.fixture(autouse=True)
def _fresh_page_content() -> None:
    from apps.core.cache import content_reset

    content_reset()


# --- jobs run in-process unless a test asks for the worker ------------------------------------
@pytest.fixture(autouse=True)
def _eager_jobs() -> Iterator[None]:
    from privacy_portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """A request in Swahili leaves the thread's language set; each test starts in English."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


def _shared_media_root(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The media directory the worker process writes to (one per test session)."""
    return str(tmp_path_factory.getbasetemp() / "media")


@pytest.fixture(autouse=True)
def _media_root(tmp_path: Path, settings) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")  # each test sees only its own files


# --- SMTP server on loopback -------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Collector:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        # A fault test's hook, called with each message before it is accepted: it may stall or
        # kill the sender, and return an SMTP reply to refuse the message instead (not stored).
        self.before_accept = None
        self.refused: set[str] = set()  # addresses the server refuses permanently (550)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:  # noqa: N802
        if address in self.refused:
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        msg = message_from_bytes(envelope.content)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        if self.before_accept is not None:
            refusal = self.before_accept(msg)
            if refusal:
                return refusal
        self.messages.append(msg)
        return "250 Message accepted for delivery"


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[_Collector, int]]:
    from aiosmtpd.controller import Controller

    collector = _Collector()
    port = _free_port()
    controller = Controller(collector, hostname="127.0.0.1", port=port)
    controller.start()
    yield collector, port
    controller.stop()


@pytest.fixture
def mailbox(smtp_server, settings) -> list[Message]:
    """Messages received by the real SMTP server; the app (and the worker) send to it."""
    collector, port = smtp_server
    collector.messages.clear()
    collector.before_accept = None
    collector.refused.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    return collector.messages


def wait_for(predicate, timeout: float = 20.0, interval: float = 0.1):
    """Poll until predicate() is truthy; return its value or fail with a clear message."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")


# --- a real Celery worker process -----------------------------------------------------------
def _test_database_url(alias: str = "default") -> str:
    db = connections[alias].settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


class WorkerProcess:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 (closed with the process)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "privacy_portal", "worker", "--pool=prefork",
             "--concurrency=2", "--loglevel=INFO", "--without-gossip", "--without-mingle",
             f"--hostname=test-{uuid.uuid4().hex[:8]}@%h"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        from apps.core.tasks import ping
        from privacy_portal.celery import app

        token = uuid.uuid4().hex
        with app.connection_for_write():
            result = ping.apply_async((token,))
        assert result.get(timeout=timeout) == token, "worker did not answer the ping"

    def kill(self) -> None:
        """SIGKILL the worker and its children, as a crash or OOM kill would."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="session")
def _worker_process(django_db_setup, django_db_blocker, smtp_server, tmp_path_factory) -> Iterator[WorkerProcess]:
    if not settings.REDIS_URL:
        _missing("REDIS_URL (a Redis broker for the worker process)")
    from privacy_portal.celery import app

    app.conf.task_always_eager = False
    with django_db_blocker.unblock():
        env = dict(os.environ)
        env.update(
            DATABASE_URL=_test_database_url(),
            # A separate key store (VAULT_DATABASE_URL) is its test database too, never the real one.
            **({"VAULT_DATABASE_URL": _test_database_url("vault")} if "vault" in settings.DATABASES else {}),
            EMAIL_URL=f"smtp://127.0.0.1:{smtp_server[1]}",
            MEDIA_ROOT=_shared_media_root(tmp_path_factory),
            PYTHONUNBUFFERED="1",
        )
    app.control.purge()  # leftovers of an earlier run must not reach this database
    log_path = log_dir() / "test-worker.log"
    log_path.write_bytes(b"")
    worker = WorkerProcess(env, log_path)
    worker.start()
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker(_worker_process: WorkerProcess, transactional_db, mailbox, settings,
                  tmp_path_factory) -> Iterator[WorkerProcess]:
    """A real worker process; the test talks to it only through the broker and the database.
    Files are shared with it in the session's media directory: assert on a person's own files."""
    from privacy_portal.celery import app

    settings.MEDIA_ROOT = _shared_media_root(tmp_path_factory)
    app.conf.task_always_eager = False
    if _worker_process.proc.poll() is not None:  # a previous test killed it
        _worker_process.start()
    yield _worker_process
    app.conf.task_always_eager = True
    _worker_idle(app)


def _worker_idle(app, timeout: float = 30) -> None:
    """Wait until the worker has no task running or reserved, so that the database flush after the test
    does not deadlock with a task still writing (a send or an erasure the test's last step queued)."""
    app.control.purge()  # the test is over: what it queued and nobody took need not run
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        inspect = app.control.inspect(timeout=2, limit=1)
        busy = [t for replies in ((inspect.active() or {}), (inspect.reserved() or {}))
                for tasks in replies.values() for t in tasks]
        if not busy:
            return
        time.sleep(0.2)


# --- headless Chromium ------------------------------------------------------------------------
@pytest.fixture(scope="session")
def _browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        _missing(f"Chromium at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(_browser, live_server) -> Iterator:
    """A fresh browser context; console errors and requests to other origins are collected."""
    context = _browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.console_errors = []
    page.foreign_requests = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.on("request", lambda r: r.url.startswith(live_server.url) or r.url.startswith("data:")
            or page.foreign_requests.append(r.url))
    yield page
    context.close()



# --- demo data ---------------------------------------------------------------------------------
@pytest.fixture
def demo_purposes(db, settings) -> None:
    """The demo vacancies, purposes and policy v1, as seed_demo makes them; rate limits off for form tests."""
    from io import StringIO

    from apps.consent.seed import seed_demo as seed_purposes
    from apps.policies.seed import seed_demo as seed_policy
    from apps.subjects.seed import seed_demo as seed_vacancies

    seed_vacancies(StringIO())
    seed_purposes(StringIO())
    seed_policy(StringIO())  # after the purposes: its generated table lists them
    settings.RATELIMIT_ENABLE = False


# --- a real web server process (gunicorn) -------------------------------------------------------
class WebServer:
    def __init__(self, proc: subprocess.Popen, port: int) -> None:
        self.proc, self.port = proc, port

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def worker_rss_kib(self) -> int:
        """Resident memory of the (single) worker process, from the kernel's own count."""
        (pid,) = self.worker_pids()
        status = Path(f"/proc/{pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")))


@pytest.fixture(scope="session")
def _web_server_process(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[WebServer]:
    with django_db_blocker.unblock():
        env = dict(os.environ, DATABASE_URL=_test_database_url(), MEDIA_ROOT=_shared_media_root(tmp_path_factory),
                   RATELIMIT_ENABLE="0", PYTHONUNBUFFERED="1")
        if "vault" in settings.DATABASES:
            env["VAULT_DATABASE_URL"] = _test_database_url("vault")
    port = _free_port()
    log = open(log_dir() / "test-web.log", "wb")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "privacy_portal.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1",
         "--timeout", "60", "--no-control-socket"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    server = WebServer(proc, port)
    wait_for(lambda: server.worker_pids(), timeout=30)
    yield server
    os.killpg(proc.pid, 15)
    proc.wait(timeout=20)
    log.close()


@pytest.fixture
def web_server(_web_server_process: WebServer, transactional_db) -> WebServer:
    """A gunicorn process serving the test database; the test talks to it over a socket."""
    return _web_server_process

# --- staff in the admin ---------------------------------------------------------------------------
@pytest.fixture
def staff_client(db):
    """A client signed in as the given staff user with a verified second factor (the admin needs one)."""
    from django.test import Client

    from tests.staff.helpers import sign_in_verified

    def make(user) -> Client:
        client = Client()
        sign_in_verified(client, user)
        return client

    return make


@pytest.fixture
def admin_client(db, admin_user):
    """pytest-django's admin_client, signed in with a second factor as every staff member must be."""
    from django.test import Client

    from tests.staff.helpers import sign_in_verified

    client = Client()
    sign_in_verified(client, admin_user)
    return client


@pytest.fixture
def staff_roles(transactional_db) -> None:
    """The role groups the data migration makes. A transactional test (live server, worker) starts after
    another one's flush, which empties every table: make them again, as `manage.py staff_roles` would."""
    from django.contrib.auth.models import Group, Permission

    from apps.staff.roles import groups_apply

    groups_apply(group_model=Group, permission_model=Permission)


# --- proofs: a signed consent receipt's record and a deletion certificate ---------------------------------
@pytest.fixture
def receipt(demo_purposes):
    """A consent given on the application form (its receipt is signed from this record)."""
    from apps.consent.models import Purpose
    from apps.consent.services import CollectionContext, consent_give
    from tests.factories import SubjectFactory

    return consent_give(subject=SubjectFactory(), purpose=Purpose.objects.get(slug="recruitment"),
                        context=CollectionContext(collection_point="apply-form", form_version="2", source="web-form"))


@pytest.fixture
def certificate(db):
    """A person erased at their request: their deletion certificate."""
    from apps.subjects import services
    from tests.factories import EngagementFactory

    return services.subject_erase(subject=EngagementFactory().subject, reason="subject-request")
