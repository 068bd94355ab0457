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
- sent twice: recipients who got two different messages (two Message-IDs); same Message-ID again: a
  message delivered again with its Message-ID (the server took it, the worker died before hearing so: a
  receiving server drops it as a duplicate);
- 5xx: responses 500-599 other than 503; 503: the honest "unavailable" answers;
- worker exits: times the worker process died of a Redis stop (restarted at once, as systemd would);
- jobs repeated: jobs a standby beat sent again within their interval after taking over.

Scenarios beyond the forms: worker-redis-stop (Redis stopped five times for 3 s while the worker holds
messages), campaign-kills-redis-restart (policy version 2 tells --campaign-people people by email and SMS while
the worker is killed three times, then Redis restarts empty), beat-takeover (a second beat stands by; the
first is killed seconds after sending its 30-second jobs).

Run by hand (needs root or the postgres user's tools, redis-server, a mountable tmpfs for the
disk scenario):

    .venv/bin/python bench/faults.py                      # the full table, 300 requests each
    .venv/bin/python bench/faults.py --requests 40 --scenarios steady redis-down
"""

import argparse
import base64
import contextlib
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from email import message_from_bytes
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
    manage,
    migrate_and_seed,
    parts_env,
)

SCENARIOS = ["steady", "worker-kill", "redis-down", "postgres-restart", "disk-full", "malformed",
             "worker-redis-stop", "campaign-kills-redis-restart", "beat-takeover"]

# Made in the scenario's database before the load: people with an open service, told of policy version 2.
MAKE_PEOPLE = """
from apps.audit.services import Actor
from apps.subjects import services
from apps.vault.services import key_scope
actor = Actor.system("bench/faults.py")
for i in range({n}):
    with key_scope():
        subject = services.subject_create(actor=actor, full_name=f"Wanjiku Kamau {{i}}",
                                          email=f"told-{{i}}@example.org", mobile=f"+2547{{12000000 + i:08d}}")
        services.engagement_open(subject=subject, actor=actor, service="recruitment")
"""
PUBLISH = """
from django.db import transaction
from apps.audit.services import Actor
from apps.policies.models import PolicyDisclosure, PolicyVersion
from apps.policies.seed import DISCLOSURES
from apps.policies.services import policy_version_publish
draft = PolicyVersion.objects.create(title_en="Privacy policy", summary_en="Background checks.",
                                     body_en="We now check certificates.")
for data in DISCLOSURES:
    PolicyDisclosure.objects.create(version=draft, **data)
PolicyDisclosure.objects.create(version=draft, key="background-check", recipient_en="Uhakiki Vetting Ltd",
                                recipient_category_en="Vetting agency", purpose_en="background checks",
                                purpose_slug="recruitment", data_categories=["identity"])
with transaction.atomic():
    policy_version_publish(version=draft, actor=Actor.system("bench"))
"""
INTERVALS = ("import json; from django.conf import settings; print(json.dumps({k: float(v['schedule']) "
             "for k, v in settings.CELERY_BEAT_SCHEDULE.items()}))")
SENT_LINE = re.compile(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+).*?Sending due task (\S+)")


class Counting:
    """Deliveries per recipient, and the Message-IDs each got: a message delivered again with the same Message-ID
    (a worker killed after the server took it and before its acceptance was recorded) is one message to a
    receiving server that drops duplicates; a second Message-ID is a second message."""

    def __init__(self) -> None:
        self.recipients: Counter = Counter()
        self.message_ids: dict[str, set[str]] = {}
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        message_id = message_from_bytes(envelope.content).get("Message-ID", "")
        with self.lock:  # one email per recipient is expected: the applicant's code, the campaign's notice
            for rcpt in envelope.rcpt_tos:
                self.recipients[rcpt] += 1
                self.message_ids.setdefault(rcpt, set()).add(message_id)
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        self.recipients.clear()
        self.message_ids.clear()


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
        if name.startswith("campaign"):
            manage(env, "shell", "-c", MAKE_PEOPLE.format(n=self.args.campaign_people))
        worker, site = Worker(env, logs / "worker.log"), Site(env, logs / "site.log")
        beats = [Beat(env, logs / "beat.log"), Beat(env, logs / "beat-standby.log")]
        self.smtp.clear()
        worker.start()
        beats[0].start(logs / "beat-schedule")
        if name == "beat-takeover":  # a second beat stands by (the unit on a second host)
            time.sleep(2)
            beats[1].start(logs / "beat-standby-schedule")
        site.start()
        self.env = env
        try:
            return self._load(name, site=site, worker=worker, redis=redis, database=database, beats=beats)
        finally:
            for process in (site, *beats, worker):
                process.stop()
            if redis.ping():
                redis.stop()
            if mounted:
                os.system(f"umount -l {media}")  # noqa: S605

    def _load(self, name: str, *, site: Site, worker: Worker, redis: RedisServer, database: str,
              beats: list[Beat]) -> dict:
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

        self.outcome = {"worker exits": 0, "jobs repeated": 0}
        fault = threading.Thread(target=self._fault, args=(name, worker, redis, duration, beats), daemon=True)
        fault.start()
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(send, range(n)))
        fault.join()
        load_seconds = time.monotonic() - started

        # Drain: beat re-drives what the fault left behind; wait for every accepted form's email (and every
        # campaign email: everyone with an open service is told).
        if name.startswith("campaign"):
            accepted_emails |= {f"told-{i}@example.org" for i in range(self.args.campaign_people)}
        deadline = time.monotonic() + self.args.drain
        while time.monotonic() < deadline and not accepted_emails <= set(self.smtp.recipients):
            time.sleep(1)
        drained = time.monotonic() - started - load_seconds
        time.sleep(5)  # a late second send would arrive now
        with psycopg.connect(self.pg.url(database)) as conn:
            # A form is kept sealed until its address's owner types the emailed code (nobody does here).
            stored = conn.execute("SELECT (SELECT count(*) FROM consent_submission)"
                                  " + (SELECT count(*) FROM recruitment_pendingsubmission)").fetchone()[0]
            people = conn.execute("SELECT count(*) FROM subjects_datasubject").fetchone()[0]
        emailed = {r for r in self.smtp.recipients if r in accepted_emails}
        forms = {e for e in accepted_emails if not e.startswith("told-")}
        return {
            "scenario": name, "requests": n, "accepted": len(forms), "stored": stored, "people": people,
            "messages": len(accepted_emails), "lost": len(accepted_emails - emailed) + max(0, len(forms) - stored),
            "sent twice": sum(1 for ids in self.smtp.message_ids.values() if len(ids) > 1),
            "same Message-ID again": sum(c - len(self.smtp.message_ids[r]) for r, c in self.smtp.recipients.items()),
            "5xx": sum(c for s, c in statuses.items() if isinstance(s, int) and 500 <= s < 600 and s != 503),
            "503": statuses.get(503, 0), "400": statuses.get(400, 0), "errors": statuses.get("error", 0),
            "load s": round(load_seconds, 1), "drain s": round(drained, 1), **self.outcome,
        }

    def _fault(self, name: str, worker: Worker, redis: RedisServer, duration: float, beats: list[Beat]) -> None:
        if name == "worker-redis-stop":
            for _ in range(5):  # Redis stops for 3 s while the worker holds messages; does the worker live?
                time.sleep(duration / 6)
                redis.stop()
                time.sleep(3)
                redis.start()
                time.sleep(5)
                if not worker.running:
                    self.outcome["worker exits"] += 1
                    worker.start()  # as systemd (Restart=always) or `make worker` would
        elif name == "campaign-kills-redis-restart":
            publish = threading.Thread(target=manage, args=(self.env, "shell", "-c", PUBLISH), daemon=True)
            publish.start()
            for _ in range(3):  # kill -9 mid-batch, restarted at once
                time.sleep(duration / 8)
                worker.kill()
                worker.start()
            time.sleep(2)  # within ~30 s of the last kill, Redis restarts empty: notes, queue, heartbeats gone
            redis.stop()
            redis.start()
            publish.join()
        elif name == "beat-takeover":
            self._beat_takeover(beats)
        elif name == "worker-kill":
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


    def _beat_takeover(self, beats: list[Beat]) -> None:
        """Kill the beat that schedules a few seconds after it sent its 30-second jobs; count the jobs the
        standby then sends again within their interval."""
        leader, standby = beats
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and "Sending due task notifications-redrive" not in leader.log():
            time.sleep(0.5)
        time.sleep(3)
        leader.kill()
        time.sleep(25)  # the standby takes over within STANDBY_SECONDS (5 s); its 30-second jobs are due after
        intervals = json.loads(manage(self.env, "shell", "-c", INTERVALS).strip().splitlines()[-1])
        last_by_leader = {}
        for when, entry in SENT_LINE.findall(leader.log()):
            last_by_leader[entry] = datetime.strptime(f"{when} +0000", "%Y-%m-%d %H:%M:%S,%f %z")
        repeated = 0
        for when, entry in SENT_LINE.findall(standby.log()):
            sent = datetime.strptime(f"{when} +0000", "%Y-%m-%d %H:%M:%S,%f %z")
            before = last_by_leader.get(entry)
            if before is not None and (sent - before).total_seconds() < intervals.get(entry, 0) - 1:
                repeated += 1
        self.outcome["jobs repeated"] = repeated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300, help="requests per scenario (disk-full: at most 12)")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=30, help="how long the load of a scenario lasts")
    parser.add_argument("--redis-down", type=float, default=30, help="seconds Redis stays down")
    parser.add_argument("--drain", type=float, default=240, help="seconds to wait for the sweeps afterwards")
    parser.add_argument("--campaign-people", type=int, default=300, help="people told of policy version 2")
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
