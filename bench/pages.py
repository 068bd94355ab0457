"""Bench: GET /, /apply/ and /cookies/ against a bare Django view returning "ok".

gunicorn (2 sync workers, production settings: DEBUG=0) on PostgreSQL + Redis serves the product; a
second gunicorn serves the baseline (bench/baseline: a view returning "ok", Django's default middleware;
bench.baseline.settings). wrk (8 connections) requests each page in turn, rounds interleaved, as a new
visitor (no cookies) in English, and once more in Swahili (Accept-Language: sw).

Printed: req/s, p50 and p99 of each page and of the baseline, and the ratio (median of the rounds).
Goal >= 0.3 for each page. The bench database is emptied before and after.

  DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/pp_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
      .venv/bin/python bench/pages.py [--seconds 8] [--rounds 3]
"""

import argparse
import os
import tempfile
from pathlib import Path

import _common
import _web

PAGES = ["/", "/apply/", "/cookies/", "/jobs/", "/privacy/"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--languages", default="en,sw")
    parser.add_argument("--before", type=Path, help="a checkout of the code before a change, measured in the same "
                                                    "rounds (e.g. `git worktree add /tmp/before <commit>`)")
    args = parser.parse_args()
    _web.setup(media_root=tempfile.mkdtemp(prefix="pp-bench-pages-"))
    languages = args.languages.split(",")
    print(f"GET {', '.join(PAGES)} in {', '.join(languages)}, {args.rounds} interleaved rounds of {args.seconds:g}s, "
          f"wrk -c8; {_common.machine()}", flush=True)
    try:
        with _web.Servers(before=args.before) as servers:
            products = ["product", "before"] if args.before else ["product"]
            targets = [("baseline", "/ok/", "en")] + [(name, p, lang) for lang in languages for p in PAGES
                                                      for name in products]
            runs: dict[tuple, list] = {t: [] for t in targets}
            for round_no in range(args.rounds + 1):  # round 0 warms up and is not counted
                order = targets if round_no % 2 else list(reversed(targets))
                for target in order:
                    name, path, language = target
                    server = {"product": servers.product, "before": servers.before, "baseline": servers.baseline}[name]
                    lua = _web.write_script(_web.lua_get(path, headers={"Accept-Language": language}))
                    result = _web.wrk(server.url + path, seconds=2 if round_no == 0 else args.seconds, script=lua)
                    os.unlink(lua)
                    if result.bad:
                        raise SystemExit(f"{name} {path}: {result.bad} of {result.requests} requests failed")
                    if round_no:
                        runs[target].append(result)
            baseline = runs[targets[0]]
            for target in targets[1:]:
                label = f"GET {target[1]} ({target[2]})" + (" BEFORE" if target[0] == "before" else "")
                _web.report(label, runs[target], baseline, goal=0.3)
    finally:
        _web.truncate_all()


if __name__ == "__main__":
    main()
