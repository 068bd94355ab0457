"""Shared set-up for the benches: Django against a dedicated bench database, truncation, a real worker.

Not a bench itself. The benches are run by hand (see bench/README.md); this module refuses to touch
anything but a PostgreSQL database whose name starts with "pp_bench", since it truncates tables.
"""

import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

BENCH_DB_PREFIX = "pp_bench"


def is_bench_database(name: str) -> bool:
    """pp_bench, pp_bench_*, or a helper's own <db>_bench: never a database someone works in."""
    return name.startswith(BENCH_DB_PREFIX) or name.endswith("_bench")


def _ensure_database(url: str) -> str:
    """Create the bench database if it does not exist yet; returns its name."""
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(url)
    if not config["ENGINE"].endswith("postgresql"):
        sys.exit(f"the benches need PostgreSQL; DATABASE_URL is {config['ENGINE']}")
    name = config["NAME"]
    if not is_bench_database(name):
        sys.exit(f"refusing to run against database {name!r}: the benches truncate tables; use {BENCH_DB_PREFIX}")
    params = {
        "dbname": "postgres",
        "host": config.get("HOST") or "127.0.0.1",
        "port": config.get("PORT") or 5432,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }
    with psycopg.connect(**{k: v for k, v in params.items() if v is not None}, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            print(f"created database {name}")
    return name


def django_setup(*, media_root: str | None = None) -> None:
    """Set up Django on the bench database and migrate it.

    DEBUG=1 is needed in the environment (development secrets under var/); once settings are
    loaded, DEBUG is switched off in this process so Django does not record every query
    (which would add per-query overhead that production does not have).
    """
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        sys.exit("set DATABASE_URL=postgres://postgres@127.0.0.1:5432/pp_bench (the benches never use SQLite)")
    if os.environ.get("VAULT_DATABASE_URL"):
        sys.exit("unset VAULT_DATABASE_URL: the benches keep the key store in the bench database")
    if not os.environ.get("REDIS_URL"):
        sys.exit("set REDIS_URL=redis://127.0.0.1:6379/9")
    _ensure_database(url)
    if media_root is not None:
        os.environ["MEDIA_ROOT"] = media_root
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacy_portal.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.DEBUG = False
    call_command("migrate", verbosity=0, interactive=False)
    print(f"{Path(sys.argv[0]).name}: code {code_version()}, database {settings.DATABASES['default']['NAME']}",
          flush=True)


def truncate_app_tables() -> None:
    """Empty the tables the benches write (audit, vault, subjects). Only ever on a pp_bench database."""
    from django.apps import apps
    from django.db import connection

    if not is_bench_database(connection.settings_dict["NAME"]):
        raise RuntimeError("refusing to truncate a database that is not a bench database")
    tables = [
        model._meta.db_table
        for label in ("audit", "vault", "subjects")
        for model in apps.get_app_config(label).get_models()
        if model._meta.managed
    ]
    with connection.cursor() as cursor:
        # Production refuses TRUNCATE of the audit log; a bench database is emptied on purpose.
        cursor.execute("SET privacy_portal.allow_audit_truncate = on")
        cursor.execute(f"TRUNCATE {', '.join(connection.ops.quote_name(t) for t in tables)} CASCADE")


def machine() -> str:
    """CPUs and load, printed with the figures: other work on the machine skews absolute numbers."""
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {one:.1f} (1 min) {five:.1f} (5 min)"


def code_version() -> str:
    """The commit the figures belong to (read-only git), and whether app code had local changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "apps", "privacy_portal"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}{' + uncommitted changes in apps/ or privacy_portal/' if dirty else ''}"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def production_worker_env() -> dict[str, str]:
    """The environment of a worker under production settings (DEBUG=0, as deployed): the development
    secrets this checkout generated under var/ passed as a deployment passes its own."""
    def var(name: str) -> str:
        return (ROOT / "var" / name).read_text().strip()

    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    master, index = var("dev_pii_keys").split("\n")
    env.update(DEBUG="0", SECRET_KEY=var("dev_secret_key"), PII_MASTER_KEYS=master, PII_INDEX_KEY=index,
               PROOF_SIGNING_KEYS=var("dev_proof_keys"), AUDIT_KEY=var("dev_audit_key"), ALLOWED_HOSTS="127.0.0.1",
               SITE_URL="http://127.0.0.1:8000", PYTHONUNBUFFERED="1")
    return env


class WorkerProcess:
    """A real Celery worker process (same command as tests/conftest.py), in its own process group."""

    def __init__(self, env: dict[str, str], log_path: Path, concurrency: int = 2, root: Path = ROOT) -> None:
        self.env = env
        self.log_path = log_path
        self.concurrency = concurrency
        self.root = root  # the checkout it runs (another one: the code before a change, same database)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 (closed with the process)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "privacy_portal", "worker", "--pool=prefork",
             f"--concurrency={self.concurrency}", "--loglevel=INFO", "--without-gossip", "--without-mingle",
             f"--hostname=bench-{uuid.uuid4().hex[:8]}@%h"],
            cwd=self.root, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log.close()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float) -> None:
        from apps.core.tasks import ping

        token = uuid.uuid4().hex
        started = time.monotonic()
        result = ping.apply_async((token,))
        if result.get(timeout=timeout) != token:
            raise RuntimeError("worker did not answer the ping")
        result.forget()
        print(f"worker pid {self.proc.pid} ready in {time.monotonic() - started:.1f}s (log: {self.log_path})")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, 15)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait(timeout=10)
