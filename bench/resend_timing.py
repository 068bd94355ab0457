"""/me/resend/ answer time, known address vs unknown, in the embedded mode (SQLite, no Redis) or,
with --redis-url, with jobs published to Redis.

Runs the app in this process with Django's test client against a fresh SQLite database, the demo
applicant seeded, email to the console (sent to /dev/null). Prints the median of each.

    .venv/bin/python bench/resend_timing.py --rounds 40 [--checkout ../other-worktree]
"""

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
from io import StringIO
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--checkout", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--redis-url", default="", help="the Redis mode: jobs are published there, not run "
                        "(use a Redis database of your own; nothing consumes them)")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp()
    os.environ.update(DEBUG="1", DATABASE_URL=f"sqlite:///{tmp}/db.sqlite3", RATELIMIT_ENABLE="0",
                      MEDIA_ROOT=f"{tmp}/media", DJANGO_SETTINGS_MODULE="privacy_portal.settings")
    os.environ.pop("REDIS_URL", None)
    if args.redis_url:
        os.environ["REDIS_URL"] = args.redis_url
    os.chdir(args.checkout)
    sys.path.insert(0, args.checkout)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    from apps.consent.seed import seed_demo as seed_purposes
    from apps.policies.seed import seed_demo as seed_policy
    from apps.selfservice.seed import seed_demo as seed_applicant

    call_command("migrate", verbosity=0)
    out = StringIO()
    seed_policy(out), seed_purposes(out), seed_applicant(out)
    client = Client(HTTP_HOST="127.0.0.1")
    timings: dict[str, list[float]] = {"known": [], "unknown": []}
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        for i in range(args.rounds + 5):
            for kind, address in [("known", "demo.applicant@example.org"), ("unknown", f"nobody{i}@example.org")]:
                started = time.perf_counter()
                response = client.post("/me/resend/", {"address": address})
                elapsed = time.perf_counter() - started
                assert response.status_code == 200, (response.status_code, response.content[:300])
                if i >= 5:  # warm-up rounds are not counted
                    timings[kind].append(elapsed * 1000)
                time.sleep(0.05)  # one request at a time, as a prober measures them
    time.sleep(1)  # background work (if any) finishes before the process ends
    mode = "redis" if args.redis_url else "embedded"
    print(f"checkout {args.checkout} ({mode}): median known {statistics.median(timings['known']):.1f} ms, "
          f"unknown {statistics.median(timings['unknown']):.1f} ms over {args.rounds} rounds")


if __name__ == "__main__":
    main()
