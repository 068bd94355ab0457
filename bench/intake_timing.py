"""POST /apply/ answer time, an address we hold vs one we do not, in the embedded mode (SQLite, no Redis) or,
with --redis-url, with jobs published to Redis. Since the verified intake the request looks no address up:
both keep one sealed form and queue one email with a code.

Runs the app in this process with Django's test client against a fresh SQLite database, the demo
applicant seeded (the known address), email to the console (sent to /dev/null). Prints the median and p90
of each, and the ratio.

    .venv/bin/python bench/intake_timing.py --rounds 100 [--redis-url redis://127.0.0.1:6379/9]
"""

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from io import StringIO
from pathlib import Path


def _post(client, vacancy: str, email: str) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"key": str(uuid.uuid4()), "vacancy": vacancy, "full_name": "Amani Wekesa", "date_of_birth": "23/04/1998",
            "email": email,
            "mobile": "0712 345 678", "address": "P.O. Box 100-00200, Nairobi", "legal_id_type": "national-id",
            "legal_id_number": "27654321",
            "id_document": SimpleUploadedFile("scan.pdf", b"%PDF-1.4\n" + b"scan " * 200, "application/pdf"),
            "referee_1_name": "Jane Muthoni", "referee_1_phone": "0722 111 222", "referee_1_relationship": "Manager",
            "referee_2_name": "Peter Odhiambo", "referee_2_phone": "0733 444 555",
            "referee_2_relationship": "Lecturer", "consent_recruitment": "on", "consent_share-with-employer": "on"}
    response = client.post("/apply/", data)
    assert response.status_code == 302 and response["Location"] == "/sent/code/", response.status_code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--redis-url", default="", help="the Redis mode: jobs are published there, not run "
                        "(use a Redis database of your own; nothing consumes them)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    os.environ.update(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp}/db.sqlite3", RATELIMIT_ENABLE="0",
                      MEDIA_ROOT=f"{tmp}/media", DJANGO_SETTINGS_MODULE="privacy_portal.settings")
    os.environ.pop("REDIS_URL", None)
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
    root = str(Path(__file__).resolve().parent.parent)
    os.chdir(root)
    sys.path.insert(0, root)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from apps.consent.seed import seed_demo as seed_purposes
    from apps.policies.seed import seed_demo as seed_policy
    from apps.selfservice.seed import seed_demo as seed_applicant
    from apps.subjects.seed import seed_demo as seed_vacancies
    from apps.subjects.selectors import vacancies_open

    call_command("migrate", verbosity=0)
    out = StringIO()
    seed_vacancies(out), seed_policy(out), seed_purposes(out), seed_applicant(out)
    vacancy = str(vacancies_open().values_list("pk", flat=True).first())
    client = Client(HTTP_HOST="127.0.0.1")
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        for i in range(args.rounds + 5):
            pairs = [("known", "demo.applicant@example.org"), ("unknown", f"nobody{i}@example.org")]
            for kind, address in pairs if i % 2 else reversed(pairs):  # neither always goes first
                started = time.perf_counter()
                _post(client, vacancy, address)
                elapsed = time.perf_counter() - started
                if i >= 5:  # warm-up rounds are not counted
                    timings[kind].append(elapsed * 1000)
    mode = "redis" if args.redis_url else "embedded"

    def p90(values: list[float]) -> float:
        return statistics.quantiles(values, n=10)[-1]

    known, unknown = statistics.median(timings["known"]), statistics.median(timings["unknown"])
    print(f"POST /apply/ ({mode}), {args.rounds} rounds: known address median {known:.1f} ms (p90 "
          f"{p90(timings['known']):.1f}), unknown {unknown:.1f} ms (p90 {p90(timings['unknown']):.1f}); "
          f"known/unknown {known / unknown:.2f}")


if __name__ == "__main__":
    main()
