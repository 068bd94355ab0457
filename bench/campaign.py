"""Bench: one policy publish that tells N people of a new disclosure, through real workers and SMTP.

N people with an open service are made through the services (half with a mobile number). Two Celery
worker processes (prefork, concurrency 2 each, production settings: DEBUG=0) and an SMTP server on
loopback (aiosmtpd, in this process) are started; policy version 2 with a new disclosure is published,
and the bench waits until every message of the campaign is sent. SMS go to the locmem backend (no
provider in a bench).

Printed: campaign messages per second and time from publish to complete, against the baseline: the
same email messages, rendered from the same rows and sent in one plain loop over one SMTP connection,
in the same round. Exactly once is checked: one Message-ID per address, one row per person and channel.
With --before DIR, workers running another checkout (the code before a change) tell the same people in
every round too, in alternating order; --rounds repeats it all.

The bench database (pp_bench) is truncated before and after.

  DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/pp_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
      .venv/bin/python bench/campaign.py [--people 10000] [--before /tmp/before] [--rounds 2]
"""

import argparse
import logging
import multiprocessing
import os
import resource
import socket
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import _common

CHUNK = 50


def make_people(ids: list[int]) -> int:
    """Runs in a forked process: a person with an open service each, as an application makes them."""
    from django.db import connection

    from apps.audit.services import Actor
    from apps.subjects import services
    from apps.vault.services import key_scope

    actor = Actor.system("bench/campaign.py")
    try:
        for i in ids:
            with key_scope():
                subject = services.subject_create(
                    actor=actor, full_name=f"Wanjiku Kamau {i}", email=f"wanjiku.kamau{i}@example.org",
                    mobile=f"+2547{12000000 + i:08d}" if i % 2 else None)
                services.engagement_open(subject=subject, actor=actor, service="recruitment")
        return len(ids)
    finally:
        connection.close()


class Collector:
    def __init__(self) -> None:
        self.ids: dict[str, set[str]] = defaultdict(set)
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 (aiosmtpd's hook name)
        message_id = next((line.split(b":", 1)[1].strip().decode() for line in envelope.content.splitlines()
                           if line.lower().startswith(b"message-id:")), "")
        with self.lock:
            self.count += 1
            for rcpt in envelope.rcpt_tos:
                self.ids[rcpt].add(message_id)
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def truncate_all() -> None:
    """The app tables of the bench database; the audit log refuses TRUNCATE unless the session allows it."""
    from django.db import connection

    if not _common.is_bench_database(connection.settings_dict["NAME"]):
        raise RuntimeError("refusing to truncate a database that is not a bench database")
    with connection.cursor() as cursor:
        cursor.execute("SET privacy_portal.allow_audit_truncate = 'on'")
    _common.truncate_app_tables()
    with connection.cursor() as cursor:
        cursor.execute("RESET privacy_portal.allow_audit_truncate")
    campaign_reset()


def campaign_reset() -> None:
    """Back to policy version 1 and no campaign, keeping the people (a campaign per checkout and round)."""
    from django.db import connection

    from apps.policies.seed import seed_demo as seed_policy

    if not _common.is_bench_database(connection.settings_dict["NAME"]):
        raise RuntimeError("refusing to truncate a database that is not a bench database")
    with connection.cursor() as cursor:
        # TRUNCATE fires no row trigger: the published versions go too.
        cursor.execute("TRUNCATE policies_policyversion, policies_policydisclosure, policies_campaign, "
                       "policies_campaignrecipient, policies_disclosurechoice, policies_disclosure CASCADE")
        cursor.execute("DELETE FROM notifications_notification WHERE template = 'policy_changed'")
    seed_policy(open(os.devnull, "w"))  # noqa: SIM115


def run_campaign(*, name: str, root: Path, n: int, collector: Collector, logs: Path, timeout: float) -> float:
    """One publish telling the n people, through two workers running `root`; returns seconds until complete."""
    from django.db import transaction

    from apps.audit.services import Actor
    from apps.notifications.models import Notification
    from apps.policies.models import Campaign, PolicyDisclosure, PolicyVersion
    from apps.policies.seed import DISCLOSURES
    from apps.policies.services import policy_version_publish
    from privacy_portal.celery import app

    campaign_reset()
    collector.ids.clear()
    collector.count = 0
    app.control.purge()
    workers = []
    children_cpu, own_cpu = _children_cpu(), time.process_time()
    try:
        env = _common.production_worker_env()
        for k in range(2):
            worker = _common.WorkerProcess(env, logs / f"{name}-worker{k}.log", concurrency=2, root=root)
            worker.start()
            workers.append(worker)
        draft = PolicyVersion.objects.create(title_en="Privacy policy", summary_en="Background checks.",
                                             body_en="We now check certificates.")
        for data in DISCLOSURES:
            PolicyDisclosure.objects.create(version=draft, **data)
        PolicyDisclosure.objects.create(version=draft, key="background-check", recipient_en="Uhakiki Vetting Ltd",
                                        recipient_category_en="Vetting agency", purpose_en="background checks",
                                        purpose_slug="recruitment", data_categories=["identity"])
        published_at = time.perf_counter()
        with transaction.atomic():
            campaign = policy_version_publish(version=draft, actor=Actor.system("bench")).campaign
        expected = n + (n // 2)
        rows = Notification.objects.filter(template="policy_changed")
        while True:
            campaign.refresh_from_db()
            if campaign.status == Campaign.Status.FANNED_OUT and rows.count() == expected \
                    and not rows.filter(status__in=["pending", "sending"]).exists():
                break
            if time.perf_counter() - published_at > timeout:
                raise SystemExit(f"{name}: the campaign did not complete in time")
            time.sleep(0.2)
        campaign_s = time.perf_counter() - published_at
        own_cpu = time.process_time() - own_cpu  # the SMTP server's thread, and this loop polling the rows
    finally:
        for worker in workers:
            worker.stop()
    workers_cpu = _children_cpu() - children_cpu  # every worker process, start-up included (a second or so)
    assert rows.filter(channel="email", status="sent").count() == n, "not every email was sent"
    assert rows.filter(channel="sms", status="sent").count() == n // 2, "not every SMS was sent"
    assert len(collector.ids) == n and all(len(v) == 1 for v in collector.ids.values()), "not exactly once"
    fan_out_s = (campaign.fanned_out_at - campaign.version.published_at).total_seconds()
    print(f"  {name:6s} campaign: {expected} messages ({n} email, {n // 2} SMS) in {campaign_s:.1f}s "
          f"= {expected / campaign_s:.0f} messages/s, {n / campaign_s:.0f} emails/s; rows written "
          f"{fan_out_s:.1f}s after publish; exactly once (one Message-ID per address, raw re-deliveries "
          f"{collector.count - n}); {_common.machine()}", flush=True)
    print(f"  {name:6s} CPU: workers {workers_cpu:.0f}s, SMTP server and polling {own_cpu:.0f}s = "
          f"{1000 * (workers_cpu + own_cpu) / n:.1f} ms per person (PostgreSQL and Redis not counted)", flush=True)
    return campaign_s


def _children_cpu() -> float:
    """CPU seconds (user + system) of the child processes that ended and were waited for (the workers and
    their pool processes, once stopped)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_loop(*, n: int, collector: Collector) -> float:
    """The baseline: the same emails (rendered from the last campaign's rows, one by one, as a plain loop
    would), sent in one loop over one SMTP connection."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives, get_connection
    from django.utils import translation

    from apps.notifications.models import Notification
    from apps.notifications.rendering import render_message
    from apps.vault.services import key_scope

    collector.ids.clear()
    collector.count = 0
    emails = Notification.objects.filter(template="policy_changed", channel="email")
    started, cpu = time.perf_counter(), time.process_time()
    with key_scope(), get_connection() as smtp_connection:
        for row in emails.iterator(chunk_size=500):
            with translation.override(row.language):
                subject_line, text, html = render_message(row.template, row.context, row.channel)
            message = EmailMultiAlternatives(subject=subject_line, body=text, to=[row.recipient],
                                             from_email=settings.DEFAULT_FROM_EMAIL, connection=smtp_connection,
                                             headers={"Message-ID": f"<{row.pk}@bench>"})
            message.attach_alternative(html, "text/html")
            message.send()
    loop_s, cpu = time.perf_counter() - started, time.process_time() - cpu
    assert len(collector.ids) == n, "the loop did not send every email"
    print(f"  loop:  {n} emails in {loop_s:.1f}s = {n / loop_s:.0f} emails/s; CPU (loop and SMTP server) "
          f"{1000 * cpu / n:.1f} ms per email; {_common.machine()}", flush=True)
    return loop_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10000)
    parser.add_argument("--create-procs", type=int, default=4)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--rounds", type=int, default=1, help="campaigns per checkout, interleaved (default 1)")
    parser.add_argument("--before", type=Path, help="another checkout (e.g. `git worktree add /tmp/before main`) "
                        "whose workers run a campaign to the same people in every round, in alternating order")
    args = parser.parse_args()
    n = args.people

    port = free_port()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    os.environ["SMS_BACKEND"] = "apps.notifications.backends.LocmemSmsBackend"
    _common.django_setup(media_root=tempfile.mkdtemp(prefix="pp-bench-campaign-"))

    from aiosmtpd.controller import Controller
    from django.db import connections

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    collector = Collector()
    smtp = Controller(collector, hostname="127.0.0.1", port=port)
    smtp.start()
    truncate_all()
    checkouts = [("after", _common.ROOT)] + ([("before", args.before.resolve())] if args.before else [])
    results: dict[str, list[float]] = defaultdict(list)
    try:
        print(f"creating {n} people in {args.create_procs} processes; {_common.machine()}", flush=True)
        connections.close_all()
        started = time.perf_counter()
        chunks = [list(range(i, min(i + CHUNK, n))) for i in range(0, n, CHUNK)]
        with multiprocessing.get_context("fork").Pool(args.create_procs) as pool:
            made = sum(pool.map(make_people, chunks))
        print(f"made {made} people in {time.perf_counter() - started:.0f}s; workers: 2 x concurrency 2, "
              f"production settings (DEBUG=0)", flush=True)
        logs = Path(tempfile.mkdtemp(prefix="pp-bench-campaign-logs-"))
        for round_ in range(args.rounds):
            print(f"round {round_ + 1} (worker logs in {logs})", flush=True)
            order = checkouts if round_ % 2 == 0 else list(reversed(checkouts))
            for name, root in order:
                results[name].append(run_campaign(name=f"{name}{round_ + 1}", root=root, n=n, collector=collector,
                                                  logs=logs, timeout=args.timeout))
            results["loop"].append(run_loop(n=n, collector=collector))
            for name, _root in checkouts:
                print(f"  ratio {name} (campaign emails/s over loop emails/s, this round): "
                      f"{results['loop'][-1] / results[name][-1]:.2f}; goal >= 0.5", flush=True)
        if args.rounds > 1:
            for name, _root in checkouts:
                ratios = [loop / campaign for loop, campaign in zip(results["loop"], results[name], strict=True)]
                print(f"{name}: median ratio {_common.median(ratios):.2f} over {args.rounds} rounds "
                      f"({', '.join(f'{r:.2f}' for r in ratios)})", flush=True)
    finally:
        smtp.stop()
        truncate_all()


if __name__ == "__main__":
    main()
