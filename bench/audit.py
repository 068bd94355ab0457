"""Bench: audit_record appends from concurrent writers, one hash chain against AUDIT_CHAINS=16.

Each of --threads threads (own database connection, closed when the thread ends) loops for
--seconds: one transaction.atomic holding one audit_record append and then --hold-ms of sleep,
which stands for the rest of a request's work while its transaction (and so the chain-head lock)
is still open. Runs alternate AUDIT_CHAINS=1 and AUDIT_CHAINS=16 (set in-process) for --rounds
rounds; the figure is the median of the rounds. Then the same with two appends per transaction
(as subject_create + document_add in one request, or engagement_complete + erasure_request), each
append followed by the --hold-ms sleep, to count deadlocks between chain heads. Then a request's
worth of events (--events, as a submission raises) per transaction, the --hold-ms of other work spread
between them, appended per event (each audit_record locks its chain head at once and holds it to the
commit) against per transaction (audited_transaction: buffered, appended with one head lock, one
insert and one head update just before the commit), with 1 and 16 chains, rounds interleaved.
Finally the whole log is checked with audit_chain_verify().

The bench database (pp_bench) is truncated before and after.

  DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/pp_bench REDIS_URL=redis://127.0.0.1:6379/9 \
      .venv/bin/python bench/audit.py [--threads 8] [--seconds 5] [--rounds 3] [--hold-ms 2]
"""

import argparse
import threading
import time
import uuid
from dataclasses import dataclass, field

import _common


@dataclass
class Run:
    chains: int
    events_per_tx: int
    events: int = 0
    transactions: int = 0
    deadlocks: int = 0
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    chains_used: set[int] = field(default_factory=set)

    @property
    def rate(self) -> float:
        return self.events / self.elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--hold-ms", type=float, default=2.0, help="sleep inside the transaction after the append")
    parser.add_argument("--events", type=int, default=10, help="events per transaction in the per-transaction part")
    args = parser.parse_args()

    _common.django_setup()
    import psycopg
    from django.conf import settings
    from django.db import OperationalError, connection, transaction

    from apps.audit.models import AuditEvent
    from apps.audit.services import Actor, audit_chain_verify, audit_record, audited_transaction

    actor = Actor.system("bench/audit.py")
    hold = args.hold_ms / 1000

    def run(chains: int, seconds: float, events_per_tx: int = 1, buffered: bool | None = None) -> Run:
        settings.AUDIT_CHAINS = chains  # read by audit_record on every call
        result = Run(chains, events_per_tx)
        lock = threading.Lock()
        start = {}
        barrier = threading.Barrier(args.threads, action=lambda: start.setdefault("at", time.perf_counter()))

        def writer(k: int) -> None:
            events = transactions = deadlocks = 0
            latencies, used = [], set()
            try:
                connection.ensure_connection()  # connect before the clock starts
                barrier.wait()
                stop = start["at"] + seconds
                while time.perf_counter() < stop:
                    began = time.perf_counter()
                    try:
                        if buffered is None:  # the first parts: each append followed by the hold
                            with transaction.atomic():
                                for _ in range(events_per_tx):
                                    event = audit_record(actor=actor, verb="links.revoked", target=uuid.uuid4(),
                                                         detail={"thread": k})
                                    used.add(event.chain)
                                    time.sleep(hold)
                        else:  # a request: its events among its other work (the hold, spread between them)
                            with audited_transaction() if buffered else transaction.atomic():
                                events_made = []
                                for _ in range(events_per_tx):
                                    events_made.append(audit_record(actor=actor, verb="links.revoked",
                                                                    target=uuid.uuid4(), detail={"thread": k}))
                                    time.sleep(hold / events_per_tx)
                            used.update(e.chain for e in events_made)
                    except OperationalError as exc:
                        if not isinstance(exc.__cause__, psycopg.errors.DeadlockDetected):
                            raise
                        deadlocks += 1
                        continue
                    latencies.append(time.perf_counter() - began)
                    events += events_per_tx
                    transactions += 1
            finally:
                connection.close()
                with lock:
                    result.events += events
                    result.transactions += transactions
                    result.deadlocks += deadlocks
                    result.latencies.extend(latencies)
                    result.chains_used |= used
                    result.elapsed = max(result.elapsed, time.perf_counter() - start.get("at", time.perf_counter()))

        threads = [threading.Thread(target=writer, args=(k,)) for k in range(args.threads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return result

    _common.truncate_app_tables()
    try:
        committed = 0
        for chains in (1, 16):  # warm-up: connections, chain heads, caches
            committed += run(chains, 1.0).events
        runs: dict[int, list[Run]] = {1: [], 16: []}
        for round_no in range(args.rounds):
            for chains in ((1, 16) if round_no % 2 == 0 else (16, 1)):
                r = run(chains, args.seconds)
                runs[chains].append(r)
                committed += r.events
        multi = {chains: run(chains, args.seconds, events_per_tx=2) for chains in (1, 16)}
        committed += sum(r.events for r in multi.values())
        requests: dict[tuple[bool, int], list[Run]] = {(b, c): [] for b in (False, True) for c in (1, 16)}
        for round_no in range(args.rounds):
            order = list(requests) if round_no % 2 == 0 else list(reversed(requests))
            for buffered, chains in order:
                r = run(chains, args.seconds, events_per_tx=args.events, buffered=buffered)
                requests[(buffered, chains)].append(r)
                committed += r.events

        started = time.perf_counter()
        report = audit_chain_verify()
        verify_s = time.perf_counter() - started
        stored = AuditEvent.objects.count()

        print(f"\naudit: audit_record appends, {args.threads} threads, one append + {args.hold_ms:g} ms sleep per "
              f"transaction, {args.seconds:g}s runs, {args.rounds} rounds (median), PostgreSQL; {_common.machine()}")
        print(f"  {'AUDIT_CHAINS':<13} {'events/s':>9} {'tx p50 ms':>10} {'tx p99 ms':>10}  rounds (events/s, "
              "chains the threads used)")
        medians = {}
        for chains, rs in runs.items():
            medians[chains] = _common.median([r.rate for r in rs])
            lat = [x for r in rs for x in r.latencies]
            print(f"  {chains:<13} {medians[chains]:>9.0f} {_common.percentile(lat, 50) * 1e3:>10.1f} "
                  f"{_common.percentile(lat, 99) * 1e3:>10.1f}  "
                  f"{', '.join(f'{r.rate:.0f} ({len(r.chains_used)})' for r in rs)}")
        print(f"  ratio 16 chains / 1 chain: {medians[16] / medians[1]:.2f}x")

        print(f"\naudit: two appends per transaction (one {args.seconds:g}s run each)")
        for chains, r in multi.items():
            print(f"  AUDIT_CHAINS={chains:<3} {r.rate:7.0f} events/s, {r.transactions} transactions committed, "
                  f"{r.deadlocks} aborted by deadlock, {len(r.chains_used)} chains used")

        print(f"\naudit: {args.events} events per transaction with {args.hold_ms:g} ms of other work spread between "
              f"them, {args.threads} threads, {args.seconds:g}s runs, {args.rounds} interleaved rounds (median)")
        print(f"  {'appended':<16} {'AUDIT_CHAINS':<13} {'tx/s':>7} {'events/s':>9} {'tx p50 ms':>10} "
              f"{'tx p99 ms':>10}")
        tx_rates = {}
        for (buffered, chains), rs in requests.items():
            lat = [x for r in rs for x in r.latencies]
            tx_rates[(buffered, chains)] = _common.median([r.transactions / r.elapsed for r in rs])
            print(f"  {'per transaction' if buffered else 'per event':<16} {chains:<13} "
                  f"{tx_rates[(buffered, chains)]:>7.0f} {_common.median([r.rate for r in rs]):>9.0f} "
                  f"{_common.percentile(lat, 50) * 1e3:>10.1f} {_common.percentile(lat, 99) * 1e3:>10.1f}")
        for chains in (1, 16):
            print(f"  ratio per transaction / per event, AUDIT_CHAINS={chains}: "
                  f"{tx_rates[(True, chains)] / tx_rates[(False, chains)]:.2f}x")

        problem = "" if report.ok else f"; {report.problem} (chain {report.chain})"
        print(f"\naudit_chain_verify: ok={report.ok} events={report.count} (stored {stored}, committed by the "
              f"bench {committed}) in {verify_s:.1f}s{problem}")
        if not report.ok or report.count != committed:
            raise SystemExit("the audit log does not verify")
    finally:
        _common.truncate_app_tables()


if __name__ == "__main__":
    main()
