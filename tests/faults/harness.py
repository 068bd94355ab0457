"""The fault harness: the site's real parts in their own processes, each of which can be stopped.

- `RedisServer`: a Redis of its own on a free port (never the shared one), stopped and started
  again empty, as a crash or a restart without persistence leaves it.
- `Site`: gunicorn serving the project; `Worker`: a Celery worker process. Both read the test
  database, the harness's Redis, the test SMTP server, and a media directory of their own.
- `Visitor`: an HTTP client that fetches a form (CSRF cookie and token, form key) and sends it.

Used by tests/faults (at CI scale) and bench/faults.py (at the issue's scale). Every process is
started in its own session and stopped by its process group id, never by name.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent.parent
# The first demo vacancy (apps/subjects/seed.py; seeded with the purposes): every application is for a job.
DEMO_VACANCY = "00000000-0000-4000-8000-0000000a0b01"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b"passport scan " * 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate: Callable[[], object], *, timeout: float, interval: float = 0.1, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"not within {timeout}s: {what}")


class RedisServer:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def ping(self) -> bool:
        out = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True, timeout=5)
        return out.stdout.strip() == "PONG"

    def uptime(self) -> int:
        out = subprocess.run(["redis-cli", "-p", str(self.port), "info", "server"], capture_output=True, text=True,
                             timeout=5).stdout
        found = re.search(r"uptime_in_seconds:(\d+)", out)
        return int(found.group(1)) if found else 0

    def start(self) -> None:
        subprocess.run(
            ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--dir", str(self.dir), "--logfile", str(self.dir / "redis.log"),
             "--pidfile", str(self.dir / "redis.pid")],
            check=True,
        )
        wait_until(self.ping, timeout=20, what="redis answers")

    def stop(self) -> None:
        """Shut it down without saving: started again, it is empty (a restart that lost the queue)."""
        subprocess.run(["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True, timeout=10)
        wait_until(lambda: not self.ping(), timeout=20, what="redis stopped")


class PostgresServer:
    """A PostgreSQL cluster of its own (initdb under a temporary directory, a free port), so that it
    can be restarted without touching the shared server. Run as the postgres user when root."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.dir = directory
        versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
        self.bin = versions[-1].parent if versions else Path(shutil.which("pg_ctl") or "pg_ctl").parent

    @staticmethod
    def available() -> bool:
        return bool(list(Path("/usr/lib/postgresql").glob("*/bin/initdb")) or shutil.which("initdb"))

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")

    def start(self) -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-l", str(self.dir / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        """As an operator's restart or a failover does: sessions are cut, transactions in flight abort."""
        self.stop("fast")
        self.start()

    def create_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')


class _Process:
    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def _spawn(self, args: list[str]) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 (closed with the process)
        self.proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the process and its children, as a crash or the OOM killer would."""
        if self.running:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.running:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Site(_Process):
    """gunicorn with the project's WSGI app, as deployed (`-w` web processes)."""

    def __init__(self, env: dict[str, str], log_path: Path, *, workers: int = 2) -> None:
        super().__init__(env, log_path)
        self.port = free_port()
        self.workers = workers
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self._spawn([sys.executable, "-m", "gunicorn", "privacy_portal.wsgi", "-b", f"127.0.0.1:{self.port}",
                     "-w", str(self.workers), "--timeout", "60", "--graceful-timeout", "5"])

        def answers() -> bool:
            try:
                return requests.get(f"{self.url}/healthz", timeout=2).status_code in (200, 503)
            except requests.RequestException:
                return False

        wait_until(answers, timeout=60, what="gunicorn answers")


class Worker(_Process):
    def start(self) -> None:
        ready_before = self.log().count(" ready.")
        self._spawn([sys.executable, "-m", "celery", "-A", "privacy_portal", "worker", "--pool=prefork",
                     "--concurrency=2", "--loglevel=INFO", "--without-gossip", "--without-mingle",
                     f"--hostname=fault-{free_port()}@%h"])
        wait_until(lambda: self.log().count(" ready.") > ready_before, timeout=60, what="worker ready")


def manage(env: dict[str, str], *args: str) -> str:
    """A management command in its own process, with the parts' environment (as beat or an operator)."""
    out = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    if out.returncode:
        raise RuntimeError(f"manage.py {args[0]} exited {out.returncode}: {out.stderr[-2000:]}")
    return out.stdout


def parts_env(*, database_url: str, redis_url: str, smtp_port: int, media_root: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url, REDIS_URL=redis_url, EMAIL_URL=f"smtp://127.0.0.1:{smtp_port}",
        MEDIA_ROOT=media_root, PYTHONUNBUFFERED="1", SMS_BACKEND="apps.notifications.backends.LocmemSmsBackend",
        # The faults are the subject here, not the limits: one address sends all the forms.
        FORM_POST_RATE="10000/h", RESEND_RATE="10000/h", TOKEN_PAGE_RATE="10000/h",
    )
    env.pop("VAULT_DATABASE_URL", None)
    env.update(extra)
    return env


class Visitor:
    """One browser's worth of HTTP: cookies kept, the form's CSRF token and key read from the page."""

    def __init__(self, base_url: str) -> None:
        self.base = base_url
        self.http = requests.Session()

    def form(self, path: str) -> dict[str, str]:
        page = self.http.get(self.base + path, timeout=30)
        page.raise_for_status()
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
        return {k: v for k, v in fields.items() if k in {"csrfmiddlewaretoken", "key"}}

    def apply(self, email: str, *, hidden: dict[str, str] | None = None, extra: list[tuple[str, str]] = (),
              files: list | None = None, timeout: float = 60) -> requests.Response:
        hidden = hidden or self.form("/apply/")
        data = [*hidden.items(), ("vacancy", DEMO_VACANCY), ("full_name", "Amani Wekesa"),
                ("date_of_birth", "23/04/1998"), ("email", email),
                ("mobile", "0712 345 678"),
                ("address", "P.O. Box 100-00200, Nairobi"), ("legal_id_type", "national-id"),
                ("legal_id_number", "27654321"), ("referee_1_name", "Jane Muthoni"),
                ("referee_1_phone", "0722 111 222"), ("referee_1_relationship", "Manager"),
                ("referee_2_name", "Peter Odhiambo"), ("referee_2_phone", "0733 444 555"),
                ("referee_2_relationship", "Lecturer"), ("consent_recruitment", "on"),
                ("consent_share-with-employer", "on"), *extra]
        files = files or [("id_document", ("scan.pdf", PDF, "application/pdf"))]
        return self.http.post(f"{self.base}/apply/", data=data, files=files, allow_redirects=False, timeout=timeout)

    def confirm(self, code: str, timeout: float = 60) -> requests.Response:
        """Types the emailed code on the page the form led to (this visitor's session)."""
        page = self.http.get(f"{self.base}/sent/code/", timeout=timeout)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]*)"', page.text).group(1)
        return self.http.post(f"{self.base}/sent/code/", data={"csrfmiddlewaretoken": token, "code": code},
                              allow_redirects=False, timeout=timeout)

    def contact(self, email: str, timeout: float = 60) -> requests.Response:
        hidden = self.form("/contact/")
        data = {**hidden, "full_name": "Achieng Otieno", "email": email, "message": "When is the next intake?",
                "consent_enquiry-response": "on"}
        return self.http.post(f"{self.base}/contact/", data=data, allow_redirects=False, timeout=timeout)


def accepted(response: requests.Response) -> bool:
    """The visitor was told their form was kept for its emailed code: the redirect to the page that asks for it."""
    return response.status_code == 302 and response.headers.get("Location", "").endswith("/sent/code/")


SEED_PURPOSES = ("from io import StringIO; from apps.policies.seed import seed_demo as policy; "
                 "from apps.consent.seed import seed_demo as purposes; "
                 "from apps.subjects.seed import seed_demo as vacancies; vacancies(StringIO()); "
                 "policy(StringIO()); purposes(StringIO())")


def migrate_and_seed(env: dict[str, str]) -> None:
    """A fresh database for the parts: the schema, the demo purposes and policy v1."""
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "shell", "-c", SEED_PURPOSES)
