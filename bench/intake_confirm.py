"""Bench: the confirmation step on its own. POST /confirm/<token>/ ("Yes, it was me: confirm") applies a held
form: the person, record, ID scan, consent receipts, application, confirmation and referee messages, and
destroys the form and its key. Against the plain Django ModelForm POST of bench/intake.py, rounds interleaved.

The forms are held first (in this process, through the product's own intake_hold), one per request wrk will
send; each wrk thread takes its own tokens. Printed: req/s, p50, p99 (median of the rounds), the ratio to the
baseline, and the CPU time per request of the product's gunicorn workers.

  DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/pp_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
      .venv/bin/python bench/intake_confirm.py [--seconds 10] [--rounds 3] [--forms 2500]
"""

import argparse
import os
import tempfile
import uuid

import _common
import _web
from intake import TEXT, script

CONFIRM_LUA = r"""
local tokens = {tokens}
local counter = 0
local tid = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  tid = tonumber(wrk.thread:get("tid")) or 1
end

request = function()
  local token = tokens[(counter * {nthreads}) + tid] or "used-up"  -- a 404: raise --forms
  counter = counter + 1
  return wrk.format("POST", "/confirm/" .. token .. "/", {{
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "{cookie}",
  }}, "csrfmiddlewaretoken={csrf}&choice=confirm")
end
"""


def _held_tokens(count: int, vacancy) -> list[str]:
    from apps.consent.models import Purpose
    from apps.consent.services import CollectionContext
    from apps.recruitment.intake import intake_hold
    from apps.subjects.links import pending_token

    purposes = list(Purpose.objects.filter(slug__in=["recruitment", "share-with-employer"]))
    context = CollectionContext(collection_point="apply-form", form_version="bench", source="web-form",
                                language="en")
    tokens = []
    for n in range(count):
        data = {**TEXT, "email": f"confirm{n}@example.org", "mobile": f"+25471{n:07d}",
                "referees": [{"name": "Jane Muthoni", "phone": f"+25472{n:07d}", "relationship": "Manager"},
                             {"name": "Peter Odhiambo", "phone": f"+25473{n:07d}", "relationship": "Lecturer"}],
                "experience": ""}
        pending = intake_hold(key=uuid.uuid4(), kind="apply", data=data, purposes=purposes, context=context,
                              document=b"%PDF-1.4\n" + b"passport scan " * 20, vacancy=vacancy)
        tokens.append(pending_token(pending.pk))
    return tokens


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--forms", type=int, default=3200, help="forms held beforehand (one per request)")
    args = parser.parse_args()
    _web.setup(media_root=tempfile.mkdtemp(prefix="pp-bench-confirm-"))
    from apps.recruitment.models import PendingSubmission
    from apps.subjects.models import DataSubject
    from apps.subjects.selectors import vacancies_open

    print(f"POST /confirm/<token>/, {args.rounds} interleaved rounds of {args.seconds:g}s, wrk -c8; "
          f"{_common.machine()}", flush=True)
    tokens = _held_tokens(args.forms, vacancies_open().first())
    print(f"held {len(tokens)} forms", flush=True)
    try:
        with _web.Servers() as servers:
            form = _web.form_of(servers.product.url + "/apply/")
            base_form = _web.form_of(servers.baseline.url + "/apply/")
            # Each wrk run starts its Lua states afresh: each run gets tokens of its own (a used one answers 410).
            per_run = len(tokens) // (args.rounds + 1)

            def product_script(run: int) -> str:
                mine = tokens[run * per_run:(run + 1) * per_run]
                return _web.write_script(CONFIRM_LUA.format(
                    tokens="{" + ", ".join(f'"{t}"' for t in mine) + "}", nthreads=2, cookie=form.cookie,
                    csrf=form.hidden["csrfmiddlewaretoken"]))
            runs: dict[str, list] = {"product": [], "baseline": []}
            cpu, confirmed = 0.0, 0
            for round_no in range(args.rounds + 1):
                for name in (["product", "baseline"] if round_no % 2 else ["baseline", "product"]):
                    seconds = 2 if round_no == 0 else args.seconds
                    if name == "product":
                        before, held = _web.cpu_seconds(servers.product.proc.pid), PendingSubmission.objects.count()
                        product_lua = product_script(round_no)
                        result = _web.wrk(servers.product.url + "/", seconds=seconds, script=product_lua)
                        os.unlink(product_lua)
                        if round_no:
                            cpu += _web.cpu_seconds(servers.product.proc.pid) - before
                            confirmed += held - PendingSubmission.objects.count()
                    else:
                        lua = script(run=round_no + 1, form=base_form, path="/apply/", product=False)
                        result = _web.wrk(servers.baseline.url + "/apply/", seconds=seconds, script=lua)
                        os.unlink(lua)
                    if result.bad:
                        raise SystemExit(f"{name}: {result.bad} of {result.requests} requests failed; "
                                         f"see {servers.logs}")
                    if round_no:
                        runs[name].append(result)
            if PendingSubmission.objects.count() == 0:
                print("warning: every held form was used; raise --forms", flush=True)
            print(f"confirmed {DataSubject.objects.count()} people; {confirmed} in the counted rounds; CPU per "
                  f"confirmation (product's gunicorn, all processes) {1000 * cpu / max(confirmed, 1):.1f} ms",
                  flush=True)
            _web.report("POST /confirm/<token>/", runs["product"], runs["baseline"], goal=None)
    finally:
        _web.truncate_all()


if __name__ == "__main__":
    main()
