"""Bench: erasing N people when their engagements are completed at once, through a real worker.

Each person is made through the services, as a job application makes them: subject_create (an
encrypted PersonalRecord, blind indexes), document_add (a small encrypted PDF on disk) and
engagement_open. Three populations are made, interleaved so they share the tables evenly:

  A  N people, erased the real way: a Celery worker process (prefork, concurrency 2) is started,
     then engagements_complete (what the admin action, the API and a vacancy closing call) completes
     every engagement of A, 500 per transaction, and queues one erasure task per 200 people; each
     task destroys their keys in one statement, deletes files, then every mapped row set-based, and
     writes the certificates and audit events in bulk. The bench re-drives every 30 s, as beat does.
  B  N people, the baseline: their rows deleted with plain SQL DELETEs in one transaction
     (lookups, documents, records, engagements, data keys, subjects).
  C  N/5 people (at most 1000), a second baseline: the same plain DELETEs, one transaction per person.

A fourth population D (200 people) is erased in this process to count SQL statements per person.

Printed: people erased per second, completion-to-certificate latency (p50/p99) measured from each
engagement's completed_at (as asked) and from the commit of the completing transaction, and the
baselines as rows/second and people/second with the ratios.

The bench database (pp_bench) is truncated before and after; MEDIA_ROOT is a temporary directory.

  DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/pp_bench REDIS_URL=redis://127.0.0.1:6379/9 \
      .venv/bin/python bench/erasure.py [--people 10000]
"""

import argparse
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import _common

CHUNK = 50  # people per unit of work handed to a creating process
PROBE_AFTER = 1.0  # seconds into the completion transaction
PDF = b"%PDF-1.4\n" + b"1 0 obj << /Type /Catalog >> endobj\n" * 40 + b"%%EOF\n"  # ~1.4 KB


def person_values(i: int) -> dict:
    return {
        "full_name": f"Wanjiku Njeri Kamau {i}",
        "email": f"Wanjiku.Kamau{i}@example.org",
        "mobile": f"+2547{12000000 + i:08d}",
        "address": f"P.O. Box {10000 + i % 90000}-00100, Ngong Road, Kilimani, Nairobi",
        "referees": [
            {"name": "Otieno Ochieng", "phone": f"+2547{22000000 + i:08d}", "relationship": "Former manager"},
            {"name": "Achieng Atieno", "phone": f"+2547{33000000 + i:08d}", "relationship": "Lecturer"},
        ],
        "legal_id_type": "national-id",
        "legal_id_number": f"{30000000 + i}",
    }


def make_person(i: int) -> tuple:
    """A job application: the form post creates the person and stores the ID scan, the recruiter opens
    the engagement. Each service call commits on its own, as separate requests would."""
    from apps.audit.services import Actor
    from apps.subjects import services
    from apps.vault.services import key_scope

    actor = Actor.system("bench/erasure.py")
    with key_scope():
        subject = services.subject_create(actor=actor, **person_values(i))
        services.document_add(subject=subject, actor=actor, data=PDF)
        engagement = services.engagement_open(subject=subject, actor=actor, service="recruitment",
                                              reference=f"REQ-{i:06d}")
    return subject.pk, engagement.pk


def create_chunk(chunk: list[tuple[str, int]]) -> list[tuple]:
    """Runs in a forked process: make these people, then close this process's connection."""
    from django.db import connection

    try:
        return [(population, *make_person(i)) for population, i in chunk]
    finally:
        connection.close()


def seconds(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10000, help="people erased (and in the plain baseline)")
    parser.add_argument("--create-procs", type=int, default=4, help="processes creating the populations")
    parser.add_argument("--singles", type=int, default=100, help="people then erased one at a time, for latency")
    parser.add_argument("--stall-timeout", type=float, default=180, help="give up after this long without progress")
    args = parser.parse_args()
    n = args.people
    n_c = max(1, min(n // 5, 1000))

    tmp = Path(tempfile.mkdtemp(prefix="pp-bench-erasure-"))
    media_root = tmp / "media"
    media_root.mkdir()
    _common.django_setup(media_root=str(media_root))

    from django.conf import settings
    from django.db import connection, connections, transaction
    from django.db.models import Count, F
    from django.utils import timezone

    from apps.audit.services import Actor, audit_chain_verify, audit_record
    from apps.subjects import services
    from apps.subjects.models import (
        DataSubject,
        ErasureJob,
        IdentityDocument,
        PersonalRecord,
        ServiceEngagement,
        SubjectLookup,
    )
    from apps.vault.models import DataKey, DeletionCertificate
    from privacy_portal.celery import app

    actor = Actor.system("bench/erasure.py")
    worker = None
    print(f"database {connection.settings_dict['NAME']}, broker {settings.CELERY_BROKER_URL}, media {media_root}")
    _common.truncate_app_tables()
    try:
        # --- populations --------------------------------------------------------------------
        # Interleaved, so the three populations are spread alike over the tables; made by forked
        # processes (the work is CPU-bound Python, so threads would not help), in chunks.
        plan = [("A", i) for i in range(n)] + [("B", n + i) for i in range(n)] + [("C", 2 * n + i) for i in range(n_c)]
        plan.sort(key=lambda item: item[1] % n)
        chunks = [plan[start : start + CHUNK] for start in range(0, len(plan), CHUNK)]
        made: dict[str, list[tuple]] = {"A": [], "B": [], "C": []}
        total = len(plan)
        print(f"creating {total} people through the services in {args.create_procs} processes "
              f"(A {n} erased, B {n} bulk baseline, C {n_c} per-person baseline); {_common.machine()}", flush=True)
        connections.close_all()  # children open their own
        started = time.perf_counter()
        next_report, done = started + 30, 0
        with multiprocessing.get_context("fork").Pool(args.create_procs) as pool:
            for part in pool.imap_unordered(create_chunk, chunks):
                for population, subject_id, engagement_id in part:
                    made[population].append((subject_id, engagement_id))
                done += len(part)
                if time.perf_counter() >= next_report:
                    next_report += 30
                    elapsed = time.perf_counter() - started
                    print(f"  {done:>6}/{total} people, {done / elapsed:.0f}/s, "
                          f"about {(total - done) / (done / elapsed):.0f}s left", flush=True)
        create_s = time.perf_counter() - started
        print(f"created {total} people in {create_s:.1f}s ({total / create_s:.1f} people/s; each: record, document, "
              "engagement, 2 lookups, data key, 3 audit events)")
        a_engagements = [engagement_id for _, engagement_id in made["A"]]
        b_subjects = [subject_id for subject_id, _ in made["B"]]
        c_subjects = [subject_id for subject_id, _ in made["C"]]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # fresh statistics for every phase below

        # --- baseline B: plain DELETEs in one transaction -------------------------------------
        tables = [SubjectLookup, IdentityDocument, PersonalRecord, ServiceEngagement, DataKey, DataSubject]

        def delete_sql(model) -> str:
            column = "id" if model is DataSubject else "subject_id"
            return (f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)} "  # noqa: S608 (names from models)
                    f"WHERE {column} = ANY(%s)")

        statements = [delete_sql(model) for model in tables]
        started = time.perf_counter()
        b_rows = 0
        with transaction.atomic(), connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement, [b_subjects])
                b_rows += cursor.rowcount
        b_s = time.perf_counter() - started

        # --- baseline C: the same DELETEs, one transaction per person -------------------------
        started = time.perf_counter()
        c_rows = 0
        for subject_id in c_subjects:
            with transaction.atomic(), connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement, [[subject_id]])
                    c_rows += cursor.rowcount
        c_s = time.perf_counter() - started

        # --- the real erasure of A through a worker process -----------------------------------
        a_documents = list(IdentityDocument.objects.filter(
            subject__engagements__pk__in=a_engagements).values_list("stored_name", flat=True))
        app.control.purge()  # leftovers of an earlier run must not reach this database
        env = dict(os.environ, DATABASE_URL=os.environ["DATABASE_URL"], REDIS_URL=os.environ["REDIS_URL"],
                   MEDIA_ROOT=str(media_root), PYTHONUNBUFFERED="1")
        worker = _common.WorkerProcess(env, tmp / "worker.log", concurrency=2)
        worker.start()

        engagements = list(ServiceEngagement.objects.filter(pk__in=a_engagements))
        marks: dict[str, float] = {}
        probe: dict[str, float] = {}

        def probe_write() -> None:
            """An unrelated audited write (another request) issued while the completion transaction runs."""
            try:
                time.sleep(PROBE_AFTER)
                probe["issued"] = timezone.now()
                began = time.perf_counter()
                with transaction.atomic():
                    event = audit_record(actor=Actor.system("bench probe"), verb="links.revoked", target=uuid.uuid4())
                probe["waited"] = time.perf_counter() - began
                probe["chain"] = event.chain
            finally:
                connection.close()

        prober = threading.Thread(target=probe_write)
        tx_started = timezone.now()
        prober.start()
        services.engagements_complete(engagement_ids=[e.pk for e in engagements], actor=actor)
        published = timezone.now()
        # The chunks commit one after another: the latency below counts from the first commit.
        committed = min(ServiceEngagement.objects.filter(pk__in=a_engagements).values_list("completed_at", flat=True))
        prober.join()
        print(f"completed {len(engagements)} engagements in chunks of 500: {seconds(tx_started, published):.1f}s "
              f"to commit them all and publish {(n + 199) // 200} erasure batches")
        print(f"an unrelated audit_record (chain {probe['chain']}) issued {seconds(tx_started, probe['issued']):.1f}s "
              f"into that transaction waited {probe['waited']:.1f}s for its chain-head lock")

        done, last_done, last_change = 0, -1, time.monotonic()
        next_report = next_redrive = time.monotonic() + 10
        while done < n:
            time.sleep(0.25)
            if time.monotonic() >= next_redrive:  # what beat does every 30 s
                next_redrive = time.monotonic() + 30
                services.erasure_jobs_redrive()
            done = DeletionCertificate.objects.count()
            now = time.monotonic()
            if done != last_done:
                last_done, last_change = done, now
            elif now - last_change > args.stall_timeout:
                print(f"  no progress for {args.stall_timeout:.0f}s; stopping at {done}/{n}; the worker log ends:")
                for line in (tmp / "worker.log").read_text(errors="replace").splitlines()[-30:]:
                    print(f"    {line[:300]}")
                break
            if now >= next_report:
                print(f"  {done:>6}/{n} certificates, {seconds(committed, timezone.now()):.0f}s after commit",
                      flush=True)
                next_report = now + 10

        # --- S: one person at a time, as a recruiter completing one engagement does ---------------
        singles = [make_person(4 * n + i) for i in range(args.singles)]
        key_gone, certified = [], []
        for subject_id, engagement_id in singles:
            with transaction.atomic():
                services.engagement_complete(engagement=ServiceEngagement.objects.get(pk=engagement_id), actor=actor)
                transaction.on_commit(lambda: marks.__setitem__("single", time.perf_counter()))
            gone_at = None
            while True:
                if gone_at is None and not DataKey.objects.filter(subject_id=subject_id).exists():
                    gone_at = time.perf_counter()
                if DeletionCertificate.objects.filter(subject_id=subject_id).exists():
                    certified.append(time.perf_counter() - marks["single"])
                    key_gone.append((gone_at or time.perf_counter()) - marks["single"])
                    break
                time.sleep(0.002)
        worker.stop()

        completed_at = dict(ServiceEngagement.objects.filter(pk__in=a_engagements)
                            .values_list("subject_id", "completed_at"))
        certificates = list(DeletionCertificate.objects.filter(subject_id__in=completed_at)
                            .values_list("subject_id", "completed_at", "counts"))
        if not certificates:
            tail = (tmp / "worker.log").read_text(errors="replace").splitlines()[-40:]
            raise SystemExit("no certificate was written; the worker log ends:\n" + "\n".join(tail))
        cert_at = {subject_id: at for subject_id, at, _ in certificates}
        a_rows = sum(sum(counts.values()) + 1 for _, _, counts in certificates)  # + the data key
        from_completion = [seconds(completed_at[s], at) for s, at in cert_at.items()]
        from_commit = [seconds(committed, at) for at in cert_at.values()]
        first, last = min(cert_at.values()), max(cert_at.values())
        erase_s = seconds(committed, last)
        people_per_s = len(cert_at) / erase_s

        # --- D: statements per person, erased in this process -----------------------------------
        from django.test.utils import CaptureQueriesContext

        d_people = [make_person(3 * n + i)[0] for i in range(200)]
        d_jobs = [(job.pk, job.subject_id, job.reason) for job in services.erasures_request(
            subject_ids=d_people, reason="retention", actor=actor)]
        ErasureJob.objects.filter(pk__in=[j for j, _, _ in d_jobs]).update(state=ErasureJob.State.RUNNING)
        with CaptureQueriesContext(connection) as queries:
            services.subjects_erase(jobs=d_jobs)
        d_statements = len(queries)

        # --- checks ---------------------------------------------------------------------------
        states = dict(ErasureJob.objects.values_list("state").annotate(n=Count("pk")).order_by())
        retried = ErasureJob.objects.filter(attempts__gt=1).count()
        waited_a_minute = ErasureJob.objects.filter(started_at__gt=F("queued_at") + timedelta(minutes=1)).count()
        left_records = PersonalRecord.objects.filter(subject__engagements__pk__in=a_engagements).count()
        left_files = sum(1 for name in a_documents if (media_root / name).exists())
        erased = DataSubject.objects.filter(status=DataSubject.Status.ERASED).count()
        log = (tmp / "worker.log").read_text(errors="replace")
        log_errors = [line for line in log.splitlines() if " ERROR " in line or "Traceback" in line]
        started = time.perf_counter()
        report = audit_chain_verify()
        verify_s = time.perf_counter() - started

        print(f"\nerasure: {n} people, worker concurrency 2, PostgreSQL + Redis, one machine; {_common.machine()}")
        print(f"  certificates                         {len(cert_at)}/{n} (subjects marked erased: {erased})")
        print(f"  people erased per second             {people_per_s:8.1f} /s  "
              f"({len(cert_at)} in {erase_s:.1f}s from commit to last certificate)")
        print(f"  steady rate, first to last cert.     {len(cert_at) / max(seconds(first, last), 1e-9):8.1f} /s")
        print(f"  rows deleted per second              {a_rows / erase_s:8.1f} rows/s  "
              f"({a_rows} rows: data key, record, document, 2 lookups per person; plus {n} files)")
        print(f"  latency completed_at -> certificate  p50 {_common.percentile(from_completion, 50):7.1f}s   "
              f"p99 {_common.percentile(from_completion, 99):7.1f}s   max {max(from_completion):7.1f}s")
        print(f"  latency commit -> certificate        p50 {_common.percentile(from_commit, 50):7.1f}s   "
              f"p99 {_common.percentile(from_commit, 99):7.1f}s   max {max(from_commit):7.1f}s   "
              f"first {seconds(committed, first):.2f}s")
        print(f"  one at a time ({len(certified)} people)      commit -> key gone p50 "
              f"{_common.percentile(key_gone, 50) * 1000:.0f} ms p99 {_common.percentile(key_gone, 99) * 1000:.0f} ms; "
              f"commit -> certificate p50 {_common.percentile(certified, 50) * 1000:.0f} ms "
              f"p99 {_common.percentile(certified, 99) * 1000:.0f} ms")
        print(f"  SQL statements, 200 people erased    {d_statements} in all, {d_statements / 200:.2f} per person "
              "(set-based: the count does not grow with the batch)")
        print("\nbaseline: plain DELETE of the same rows (lookups, document, record, engagement, data key, subject)")
        print(f"  B, one transaction, {n} people        {b_rows / b_s:8.0f} rows/s  {n / b_s:8.0f} people/s  "
              f"({b_rows} rows in {b_s:.2f}s)")
        print(f"  C, a transaction per person, {n_c:>5}  {c_rows / c_s:8.0f} rows/s  {n_c / c_s:8.0f} people/s  "
              f"({c_rows} rows in {c_s:.2f}s)")
        print(f"  ratio, people/s of erasure vs B      {people_per_s / (n / b_s):8.4f}x  "
              f"(plain bulk delete is {(n / b_s) / people_per_s:.0f}x faster)")
        print(f"  ratio, people/s of erasure vs C      {people_per_s / (n_c / c_s):8.4f}x  "
              f"(plain per-person delete is {(n_c / c_s) / people_per_s:.1f}x faster)")
        print("\nchecks")
        print(f"  erasure jobs by state                {states}; retried (attempts > 1): {retried}")
        print(f"  jobs started > 60s after queued_at   {waited_a_minute} (their first message expired unstarted; "
              "the re-drive published them again)")
        print(f"  A's records left {left_records}, A's files left {left_files}, worker log errors {len(log_errors)}")
        print(f"  audit chain verify                   ok={report.ok} events={report.count} ({verify_s:.1f}s)"
              + (f" problem: {report.problem} chain {report.chain}" if not report.ok else ""))
        for line in log_errors[:10]:
            print(f"    worker: {line[:200]}")
    finally:
        if worker is not None:
            worker.stop()
        app.control.purge()
        _forget_results(settings.CELERY_RESULT_BACKEND)
        _common.truncate_app_tables()
        shutil.rmtree(tmp, ignore_errors=True)


def _forget_results(url: str | None) -> None:
    """Drop the task results (and queue bindings) this run left in the bench Redis database."""
    if not url:
        return
    import redis

    client = redis.Redis.from_url(url)
    keys = [*client.scan_iter("celery-task-meta-*", count=1000), *client.scan_iter("_kombu.binding*")]
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])


if __name__ == "__main__":
    main()
