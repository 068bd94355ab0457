"""Fault injection under load: the issue-11 table, measured.

Each scenario runs the deployed shape on loopback, all of it private to this script: a PostgreSQL
cluster of its own (initdb under /tmp, a fresh database per scenario), a Redis of its own,
gunicorn (2 processes), a Celery worker, beat (the real schedule: sweeps every 30 s) and an SMTP
server (aiosmtpd) that counts deliveries by recipient. Nothing shared is touched. Four clients
send application forms (with an ID upload) at a steady pace while the fault happens; then the
script waits for the sweeps to drain and counts:

- accepted: responses that told the visitor the form was received (a visitor who gets a 503
  sends the same form again, as the page asks, up to 10 times);
- lost: accepted forms not stored, or whose confirmation never arrived within the drain time;
- sent twice: recipients who got more than one confirmation;
- 5xx: responses 500-599 other than 503; 503: the honest "unavailable" answers.

Run by hand (needs root or the postgres user's tools, redis-server, a mountable tmpfs for the
disk scenario):

    .venv/bin/python bench/faults.py                      # the full table, 300 requests each
    .venv/bin/python bench/faults.py --requests 40 --scenarios steady redis-down
"""

import argparse
import base64
import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import requests  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402

from tests.faults.harness import (  # noqa: E402
    PostgresServer,
    RedisServer,
    Site,
    Visitor,
    Worker,
    _Process,
    accepted,
    free_port,
    migrate_and_seed,
    parts_env,
)

SCENARIOS = ["steady", "worker-kill", "redis-down", "postgres-restart", "disk-full", "malformed"]


class Counting:
    def __init__(self) -> None:
        self.recipients: Counter = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        with self.lock:  # the only email these scenarios send is the applicant's confirmation
            for rcpt in envelope.rcpt_tos:
                self.recipients[rcpt] += 1
        return "250 Message accepted for delivery"


class Beat(_Process):
    def start(self, schedule: Path) -> None:
        self._spawn([sys.executable, "-m", "celery", "-A", "privacy_portal", "beat", "--loglevel=INFO",
                     "-s", str(schedule)])


def _secrets_env() -> None:
    """One set of keys for every process of the run (as a deployment's environment gives them)."""
    os.environ.setdefault("DEBUG", "1")
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("PII_MASTER_KEYS", "bench1:" + base64.b64encode(os.urandom(32)).decode())
    os.environ.setdefault("PII_INDEX_KEY", base64.b64encode(os.urandom(32)).decode())
    os.environ.pop("VAULT_DATABASE_URL", None)


class Run:
    def __init__(self, args: argparse.Namespace, pg: PostgresServer, smtp: Counting, smtp_port: int,
                 work: Path) -> None:
        self.args, self.pg, self.smtp, self.smtp_port, self.work = args, pg, smtp, smtp_port, work

    def scenario(self, name: str) -> dict:
        database = f"pp_fault_{name.replace('-', '_')}"
        self.pg.create_database(database)
        redis = RedisServer(self.work / f"redis-{name}")
        redis.start()
        media = self.work / f"media-{name}"
        mounted = False
        if name == "disk-full":
            media.mkdir()
            mounted = os.system(f"mount -t tmpfs -o size=256k tmpfs {media}") == 0  # noqa: S605
            if not mounted:
                sys.exit("disk-full needs a mountable tmpfs (root)")
            (media / "vault").mkdir()
            try:
                (media / "filler").write_bytes(b"\0" * 512 * 1024)
            except OSError:
                pass  # full
        env = parts_env(database_url=self.pg.url(database), redis_url=redis.url(0), smtp_port=self.smtp_port,
                        media_root=str(media))
        logs = self.work / f"logs-{name}"
        logs.mkdir()
        migrate_and_seed(env)
        worker, site = Worker(env, logs / "worker.log"), Site(env, logs / "site.log")
        beat = Beat(env, logs / "beat.log")
        self.smtp.recipients.clear()
        worker.start()
        beat.start(logs / "beat-schedule")
        site.start()
        try:
            return self._load(name, site=site, worker=worker, redis=redis, database=database)
        finally:
            for process in (site, beat, worker):
                process.stop()
            if redis.ping():
                redis.stop()
            if mounted:
                os.system(f"umount -l {media}")  # noqa: S605

    def _load(self, name: str, *, site: Site, worker: Worker, redis: RedisServer, database: str) -> dict:
        n, clients = self.args.requests, self.args.clients
        started = time.monotonic()
        duration = self.args.seconds
        visitors = [Visitor(site.url) for _ in range(clients)]
        statuses: Counter = Counter()
        lock = threading.Lock()
        accepted_emails: set[str] = set()
        malformed = name == "malformed"
        valid_every = 3 if malformed else 1  # malformed: 2 of every 3 requests are malformed
        if name == "disk-full":
            n = min(n, 12)

        def send(i: int) -> None:
            time.sleep(max(0.0, started + i * duration / n - time.monotonic()))  # a steady pace
            visitor = visitors[i % clients]
            email = f"{name}-{i}@example.org"
            bad = malformed and i % valid_every != 0
            extra = [("consent_recruitment", "off"), ("consent_recruitment", "\x00")] if bad else []
            form = None
            for _ in range(10):
                try:
                    form = form or visitor.form("/apply/")
                    response = visitor.apply(email, hidden=form, extra=extra, timeout=60)
                    code = response.status_code
                except requests.HTTPError as exc:  # the form page itself (a 503 while the database is down)
                    response, code = None, exc.response.status_code
                except (requests.RequestException, KeyError):
                    response, code = None, "error"
                with lock:
                    statuses[code] += 1
                if response is not None and accepted(response):
                    with lock:
                        accepted_emails.add(email)
                    return
                if code not in (503, "error") or name == "disk-full":
                    return
                time.sleep(1)  # "try again in a few minutes", sooner

        fault = threading.Thread(target=self._fault, args=(name, worker, redis, duration), daemon=True)
        fault.start()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(send, range(n)))
        fault.join()
        load_seconds = time.monotonic() - started

        # Drain: beat re-drives what the fault left behind; wait for every accepted form's email.
        deadline = time.monotonic() + self.args.drain
        while time.monotonic() < deadline and not accepted_emails <= set(self.smtp.recipients):
            time.sleep(1)
        drained = time.monotonic() - started - load_seconds
        time.sleep(5)  # a late second send would arrive now
        with psycopg.connect(self.pg.url(database)) as conn:
            stored = conn.execute("SELECT count(*) FROM consent_submission").fetchone()[0]
            people = conn.execute("SELECT count(*) FROM subjects_datasubject").fetchone()[0]
        emailed = {r for r in self.smtp.recipients if r in accepted_emails}
        return {
            "scenario": name, "requests": n, "accepted": len(accepted_emails), "stored": stored, "people": people,
            "lost": len(accepted_emails - emailed) + max(0, len(accepted_emails) - stored),
            "sent twice": sum(1 for c in self.smtp.recipients.values() if c > 1),
            "5xx": sum(c for s, c in statuses.items() if isinstance(s, int) and 500 <= s < 600 and s != 503),
            "503": statuses.get(503, 0), "400": statuses.get(400, 0), "errors": statuses.get("error", 0),
            "load s": round(load_seconds, 1), "drain s": round(drained, 1),
        }

    def _fault(self, name: str, worker: Worker, redis: RedisServer, duration: float) -> None:
        if name == "worker-kill":
            for _ in range(10):  # kill -9 every duration/10 s, restarted at once (as systemd would)
                time.sleep(duration / 10)
                worker.kill()
                worker.start()
        elif name == "redis-down":
            time.sleep(duration / 4)
            redis.stop()
            time.sleep(self.args.redis_down)
            redis.start()  # empty: the queue and every counter are gone
        elif name == "postgres-restart":
            time.sleep(duration / 2)
            self.pg.restart()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="requests per scenario (disk-full: at most 12)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30, help="how long the load of a scenario lasts")
    parser.add_argument("--redis-down", type=float, default=30, help="seconds Redis stays down")
    parser.add_argument("--drain", type=float, default=240, help="seconds to wait for the sweeps afterwards")
    parser.add_argument("--scenarios", nargs="+", default=SCENARIOS, choices=SCENARIOS)
    args = parser.parse_args()
    _secrets_env()

    smtp = Counting()
    smtp_port = free_port()
    controller = Controller(smtp, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    work = Path(tempfile.mkdtemp(prefix="pp-bench-faults-"))
    os.chmod(work, 0o755)  # noqa: S103 (the postgres user reaches its cluster below it)
    pg = PostgresServer(work / "pg")
    pg.init()
    pg.start()
    rows = []
    try:
        run = Run(args, pg, smtp, smtp_port, work)
        for name in args.scenarios:
            row = run.scenario(name)
            rows.append(row)
            print(row, flush=True)
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            pg.stop("immediate")
        controller.stop()
    columns = list(rows[0]) if rows else []
    print("\n| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in columns) + " |")
    print(f"\nlogs: {work}")


if __name__ == "__main__":
    main()
