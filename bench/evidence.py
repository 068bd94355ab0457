"""Bench: how long the evidence checks take on a log of realistic size.

Fills the bench database with --events audit events (spread over AUDIT_CHAINS chains, appended in
batches as erasures do, an anchor stored after them) and --leaves signed deletion certificates in the
public log (a signed tree head published every --head-every leaves, each recorded in the audit log),
then times, --rounds times (median):

  audit_chain_verify()            what `verify_audit_chain` and the dashboard's button run
  log_verify()                    what `verify_transparency_log` runs
  log_verify(witness=every head)  `verify_transparency_log --witness FILE` with a witness that saw each head

The bench database (a name starting with pp_bench) is truncated before and after.

  DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/pp_bench_evidence REDIS_URL=redis://127.0.0.1:6379/9 \\
      .venv/bin/python bench/evidence.py [--events 100000] [--leaves 10000] [--rounds 3]
"""

import argparse
import time
import uuid

import _common


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--leaves", type=int, default=10_000)
    parser.add_argument("--head-every", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    _common.django_setup()
    from django.db import transaction
    from django.utils import timezone

    from apps.audit.models import AuditEvent
    from apps.audit.services import Actor, Entry, audit_anchor_publish, audit_chain_verify, audit_records
    from apps.vault import transparency
    from apps.vault.models import DeletionCertificate, LogLeaf, TreeHead

    actor = Actor.system("bench/evidence.py")
    _common.truncate_app_tables()
    try:
        started = time.perf_counter()
        batch = 1000
        for start in range(0, args.leaves, args.head_every):
            now = timezone.now()
            certificates = [DeletionCertificate(id=uuid.uuid4(), subject_id=uuid.uuid4(), reason="retention",
                                                categories=["identity", "contact"],
                                                counts={"subjects.PersonalRecord": 1}, key_destroyed_at=now,
                                                completed_at=now)
                            for _ in range(min(args.head_every, args.leaves - start))]
            with transaction.atomic():
                transparency.certificates_sign(certificates)
                DeletionCertificate.objects.bulk_create(certificates)
                transparency.leaves_append(certificates=certificates)
            transparency.tree_head_publish()  # also an audit event
        written = AuditEvent.objects.count()
        for start in range(written, args.events, batch):
            with transaction.atomic():
                audit_records(entries=[Entry(actor, "pii.revealed", str(uuid.uuid4()), {"reason": "application"})
                                       for _ in range(min(batch, args.events - start))])
        audit_anchor_publish()
        transparency.anchors_log()  # the anchor into the public log, as beat does every AUDIT_ANCHOR_SECONDS
        events, leaves, heads = AuditEvent.objects.count(), LogLeaf.objects.count(), TreeHead.objects.count()
        print(f"filled {events} audit events, {leaves} leaves, {heads} tree heads in "
              f"{time.perf_counter() - started:.0f}s; {_common.machine()}", flush=True)

        witnessed = [{"size": h.size, "root_hash": h.root_hash, "signed": h.signed} for h in TreeHead.objects.all()]
        checks = {
            "audit_chain_verify": lambda: audit_chain_verify().ok,
            "log_verify": lambda: transparency.log_verify().ok,
            f"log_verify --witness ({heads} heads)": lambda: transparency.log_verify(witness=witnessed).ok,
        }
        print(f"\n{'check':<36} {'median s':>9} {'min s':>7}  ok")
        for name, check in checks.items():
            times, ok = [], True
            for _ in range(args.rounds):
                t0 = time.perf_counter()
                ok = check() and ok
                times.append(time.perf_counter() - t0)
            print(f"{name:<36} {_common.median(times):>9.2f} {min(times):>7.2f}  {ok}", flush=True)
    finally:
        _common.truncate_app_tables()


if __name__ == "__main__":
    main()
