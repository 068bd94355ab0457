"""Candidates per second through POST /api/v1/candidates under gunicorn (2 workers) on PostgreSQL, against a
plain JSON endpoint that inserts the same fields unencrypted in one row (bench/api_baseline, installed only by
bench/api_settings.py), in the same run, same server, same client.

What the API does per candidate that the baseline does not: token check and per-token rate limit (Redis), the
body checked against the schema and the application form's validation, a per-person data key (wrapped), every
field encrypted, blind indexes, the person looked up by email, the engagement, two consent receipts, the
submission, the Idempotency-Key row, three notifications queued (published to Redis after commit) and ~10
audit events (hash-chained), then one more for the call.

    export DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/pp_bench REDIS_URL=redis://127.0.0.1:6379/9
    .venv/bin/python bench/api.py --candidates 300 --clients 4
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the other benches' modules, as they import each other
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.api_settings"

import _web  # noqa: E402
from _common import ROOT, django_setup, machine, median, truncate_app_tables  # noqa: E402

EXTRA_TABLES = ["consent_consentrecord", "consent_submission", "consent_refereenotice", "api_idempotencykey",
                "api_apitoken", "api_baseline_plaincandidate", "notifications_notification"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _truncate() -> None:
    from django.db import connection

    truncate_app_tables()
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        tables = [t for t in EXTRA_TABLES if t in existing]
        cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")


def _body(vacancy_id: str, n: int, run: str) -> dict:
    from django.utils import timezone

    def phone(i: int) -> str:
        return f"+2547{(10000000 + i) % 100000000:08d}"

    return {
        "vacancy": vacancy_id, "reference": f"{run}-{n:06d}", "language": "en",
        "person": {"full_name": "Achieng Otieno", "date_of_birth": "1997-06-12",
                   "email": f"{run}.{n}@example.org", "mobile": phone(n * 3),
                   "address": "P.O. Box 1, Kisumu", "legal_id_type": "national-id",
                   "legal_id_number": f"{30000000 + n}",
                   "referees": [{"name": "Wanjiru Kamau", "phone": phone(n * 3 + 1), "relationship": "Manager"},
                                {"name": "Otieno Omondi", "phone": phone(n * 3 + 2), "relationship": "Lecturer"}]},
        "consent": {"purposes": ["recruitment", "share-with-employer"],
                    "obtained_at": (timezone.now() - timedelta(days=1)).isoformat(), "obtained_how": "web-form",
                    "reference": "consent-form-v3"},
    }


def _run(url: str, bodies: list[dict], clients: int, headers: dict, keyed: bool) -> tuple[float, dict[int, int]]:
    import requests

    statuses: dict[int, int] = {}
    lock = threading.Lock()
    queue = list(enumerate(bodies))

    def client() -> None:
        session = requests.Session()
        while True:
            with lock:
                if not queue:
                    return
                n, body = queue.pop()
            extra = {"Idempotency-Key": f"k-{body['reference']}"} if keyed else {}
            response = session.post(url, json=body, headers={**headers, **extra}, timeout=60)
            with lock:
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(bodies) / (time.monotonic() - started), statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, default=300, help="candidates per measured phase")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    parser.add_argument("--rounds", type=int, default=3, help="baseline/API pairs (the order alternates)")
    args = parser.parse_args()

    django_setup()
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)  # the baseline's table
    _truncate()
    from apps.api.services import token_create
    from apps.audit.services import Actor
    from apps.consent.seed import seed_demo as seed_purposes
    from apps.policies.seed import seed_demo as seed_policy
    from apps.subjects.models import Controller, Vacancy

    seed_purposes(StringIO())
    seed_policy(StringIO())
    controller, _ = Controller.objects.get_or_create(name="Bench Client Ltd")
    vacancy = Vacancy.objects.create(controller=controller, title="Agent", description="Calls.", location="Nairobi",
                                     closing_date=timezone.localdate() + timedelta(days=30))
    _token, secret = token_create(controller=controller, name="bench", scopes=["candidates:write"],
                                  expires_at=timezone.now() + timedelta(days=1), actor=Actor.system("bench"))

    port = _free_port()
    logs = Path(tempfile.mkdtemp(prefix="pp-bench-api-"))
    queue = f"bench-api-{uuid.uuid4().hex[:8]}"
    # Production settings exactly as deployed (DEBUG=0, deploy/gunicorn.conf.py, the secrets passed in the
    # environment), plus the baseline's app and URL (bench.api_settings); the API's rate limit checked but not met.
    env = dict(_web.production_env(port=port, logs=logs, queue=queue), DJANGO_SETTINGS_MODULE="bench.api_settings",
               API_RATE="1000000/m", PYTHONPATH=str(ROOT))
    log = open(logs / "gunicorn.out", "wb")  # noqa: SIM115 (closed below)
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        base = f"http://127.0.0.1:{port}"
        auth = {"Authorization": f"Bearer {secret}"}
        # Warm-up: imports, connections, the notice versions, in both workers.
        _run(f"{base}/bench/plain-candidates", [_body(str(vacancy.pk), n, "warm") for n in range(20)], 4, {}, False)
        _run(f"{base}/api/v1/candidates", [_body(str(vacancy.pk), n, "warm") for n in range(20)], 4, auth, True)
        print(machine())
        print(f"{args.candidates} candidates per phase, {args.clients} client threads, gunicorn as deployed "
              f"(deploy/gunicorn.conf.py, 2 workers, DEBUG=0); logs in {logs}")
        phases = {"plain": (f"{base}/bench/plain-candidates", {}, False),
                  "api": (f"{base}/api/v1/candidates", auth, True)}
        rates: dict[str, list[float]] = {"plain": [], "api": []}
        cpu: dict[str, list[float]] = {"plain": [], "api": []}
        for round_ in range(args.rounds):
            # Alternating order: neither side always runs on a warmer (or busier) machine.
            for name in (("plain", "api") if round_ % 2 == 0 else ("api", "plain")):
                url, headers, keyed = phases[name]
                bodies = [_body(str(vacancy.pk), n, f"{name[0]}{round_}") for n in range(args.candidates)]
                before = _web.cpu_seconds(proc.pid)
                rate, statuses = _run(url, bodies, args.clients, headers, keyed)
                cpu[name].append(1000 * (_web.cpu_seconds(proc.pid) - before) / args.candidates)
                rates[name].append(rate)
                print(f"round {round_ + 1}: {name:5} {rate:8.1f} candidates/s, CPU {cpu[name][-1]:.1f} ms each  "
                      f"{statuses}", flush=True)
        ratios = [api / plain for api, plain in zip(rates["api"], rates["plain"], strict=True)]
        cpu_ratios = [api / plain for api, plain in zip(cpu["api"], cpu["plain"], strict=True)]
        print(f"median of the rounds: plain {median(rates['plain']):.1f}/s (CPU {median(cpu['plain']):.1f} ms), "
              f"API {median(rates['api']):.1f}/s (CPU {median(cpu['api']):.1f} ms); API/plain throughput, median of "
              f"same-round ratios: {median(ratios):.3f} (goal >= 0.3) {[round(r, 3) for r in ratios]}; "
              f"CPU per candidate {median(cpu_ratios):.1f}x the plain insert's")
    finally:
        os.killpg(proc.pid, 15)
        proc.wait(timeout=20)
        log.close()
        try:  # the confirmation messages published to this bench's own queue, for nobody's worker
            import redis

            redis.Redis.from_url(os.environ["REDIS_URL"]).delete(queue)
        except Exception as exc:  # noqa: BLE001 (cleaning up; the figures are already printed)
            print(f"could not empty queue {queue}: {type(exc).__name__}")
        _truncate()


if __name__ == "__main__":
    main()
