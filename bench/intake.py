"""Bench: POST /apply/ (a complete application with an ID scan) against a plain Django ModelForm.

gunicorn (2 sync workers, production settings: DEBUG=0) on PostgreSQL + Redis serves the product; a
second gunicorn serves the baseline (bench/baseline: a ModelForm creating one row with the same text
fields, Django's default middleware; bench.baseline.settings). wrk (8 connections) posts to each in
turn, rounds interleaved; a Lua script gives each request its own email, phone numbers and
idempotency key, so every request is a new application (a new person, an ID scan, consent receipts,
a confirmation by email and SMS, and an SMS to each referee). No worker runs: the sends are published
to a queue of the bench's own, emptied at the end.

Printed: req/s, p50 and p99 of each, and the ratio (median of the rounds). Goals: >= 0.35 of the plain
ModelForm, >= 1.0 of a typical peer (--peer). Since the verified intake a POST keeps the form sealed under its
own key and sends one email with a code: the person, receipts and messages come at the confirmation.
The bench database is emptied before and after.

  DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/pp_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
      .venv/bin/python bench/intake.py [--seconds 10] [--rounds 3]
"""

import argparse
import os
import re
import tempfile
import urllib.request
from pathlib import Path

import _common
import _web

PDF = "%PDF-1.4\\n1 0 obj<<>>endobj\\ntrailer<<>>\\n%%EOF\\n" + "passport scan " * 20

# Each request: its own key (a UUID), email and phone numbers (07 + role + run (2 digits) + thread +
# counter (4 digits)), so
# every post is a new application and every referee number is told (none is "notified recently").
LUA = r"""
local run = "{run}"
local fields = {fields}
local boundary = "----ppbench7MA4YWxkTrZu0gW"
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

local function part(name, value)
  return "--" .. boundary .. "\r\nContent-Disposition: form-data; name=\"" .. name .. "\"\r\n\r\n" .. value .. "\r\n"
end

local function phone(role)
  return string.format("07%d%02d%d%04d", role, tonumber(run), tid, counter % 10000)
end

request = function()
  counter = counter + 1
  local body = {{}}
  for _, kv in ipairs(fields) do table.insert(body, part(kv[1], kv[2])) end
  table.insert(body, part("key", string.format("%08x-%04x-4000-8000-%012x", tonumber(run), tid, counter)))
  table.insert(body, part("email", string.format("amani.r%st%dn%d@example.org", run, tid, counter)))
  table.insert(body, part("mobile", phone(1)))
  table.insert(body, part("referee_1_phone", phone(2)))
  table.insert(body, part("referee_2_phone", phone(3)))
  {file}
  table.insert(body, "--" .. boundary .. "--\r\n")
  return wrk.format("POST", "{path}", {{
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
    ["Cookie"] = "{cookie}",
  }}, table.concat(body))
end
"""

FILE_PART = ('table.insert(body, "--" .. boundary .. "\\r\\nContent-Disposition: form-data; name=\\"id_document\\"; '
             'filename=\\"scan.pdf\\"\\r\\nContent-Type: application/pdf\\r\\n\\r\\n' + PDF + '\\r\\n")')

TEXT = {
    "full_name": "Amani Wekesa", "date_of_birth": "23/04/1998", "address": "P.O. Box 100-00200, Ngong Road, Nairobi",
    "legal_id_type": "national-id", "legal_id_number": "27654321",
    "referee_1_name": "Jane Muthoni", "referee_1_relationship": "Manager",
    "referee_2_name": "Peter Odhiambo", "referee_2_relationship": "Lecturer",
}


def form_url(base: str, *, product: bool) -> str:
    """The application form as a visitor reaches it: from a job's page, for that job (the product); the
    baseline's plain form has no job."""
    if not product:
        return base + "/apply/"
    with urllib.request.urlopen(base + "/jobs/", timeout=10) as response:  # noqa: S310 (our bench server)
        job = re.search(r'href="/jobs/([0-9a-f-]{36})/"', response.read().decode())
    if job is None:
        raise SystemExit("no open job on /jobs/ (setup_site seeds them)")
    return f"{base}/apply/?vacancy={job.group(1)}"


def script(*, run: int, form: _web.Form, path: str, product: bool) -> str:
    fields = dict(TEXT)
    fields["csrfmiddlewaretoken"] = form.hidden["csrfmiddlewaretoken"]
    if product:
        fields.update({k: v for k, v in form.hidden.items() if k.startswith("notice_") or k == "vacancy"})
        fields.update({"consent_recruitment": "on", "consent_share-with-employer": "on"})
    else:  # the baseline's model has plain text columns for the numbers
        fields.update({"referee_1_phone": "", "referee_2_phone": ""})
    table = "{" + ", ".join(f'{{"{k}", "{v}"}}' for k, v in fields.items()
                           if k not in {"referee_1_phone", "referee_2_phone"}) + "}"
    return _web.write_script(LUA.format(run=run, fields=table, path=path, cookie=form.cookie,
                                        file=FILE_PART if product else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--minimum", action="store_true",
                        help="also measure the accountable minimum (bench/baseline/views.py `minimum`): the product's "
                             "settings, middleware, form and validation, then one sealed row, one audit event, one job")
    parser.add_argument("--peer", action="store_true",
                        help="also measure a typical peer (bench/baseline/views.py `peer`): ATOMIC_REQUESTS, personal "
                             "fields under one Fernet key, a consent row per purpose, an audit row, the scan as a file")
    parser.add_argument("--before", type=Path, help="a checkout of the code before a change, measured in the same "
                                                    "rounds (e.g. `git worktree add /tmp/before <commit>`)")
    args = parser.parse_args()
    _web.setup(media_root=tempfile.mkdtemp(prefix="pp-bench-intake-"))
    from django.db import connection

    from apps.consent.models import Submission
    from apps.recruitment.models import PendingSubmission

    print(f"POST /apply/, {args.rounds} interleaved rounds of {args.seconds:g}s, wrk -c8; {_common.machine()}",
          flush=True)
    try:
        with _web.Servers(before=args.before, minimum=args.minimum, peer=args.peer) as servers:
            servers_by_name = {s.name: s for s in servers.all}
            forms = {name: _web.form_of(form_url(server.url, product=name != "baseline"))
                     for name, server in servers_by_name.items()}
            runs = {name: [] for name in servers_by_name}
            cpu, served = dict.fromkeys(servers_by_name, 0.0), dict.fromkeys(servers_by_name, 0)
            run_no = 0
            for round_no in range(args.rounds + 1):  # round 0 warms up (connections, caches) and is not counted
                order = list(servers_by_name) if round_no % 2 else list(reversed(servers_by_name))
                for name in order:
                    run_no += 1
                    server, form = servers_by_name[name], forms[name]
                    lua = script(run=run_no, form=form, path="/apply/", product=name != "baseline")
                    cpu_before = _web.cpu_seconds(server.proc.pid)
                    result = _web.wrk(server.url + "/apply/", seconds=2 if round_no == 0 else args.seconds,
                                      script=lua)
                    os.unlink(lua)
                    if round_no:
                        cpu[name] += _web.cpu_seconds(server.proc.pid) - cpu_before
                        served[name] += result.requests
                    if result.bad:
                        raise SystemExit(f"{name}: {result.bad} of {result.requests} requests failed (not 302); "
                                         f"see {servers.logs}")
                    if round_no:
                        runs[name].append(result)
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM bench_baseline_application")
                baseline_rows = cursor.fetchone()[0]
            print(f"stored: {PendingSubmission.objects.count()} forms held for their codes, "
                  f"{Submission.objects.count()} applications, {baseline_rows} baseline rows", flush=True)
            print("CPU per request (gunicorn, all processes): " + ", ".join(
                f"{name} {1000 * cpu[name] / max(served[name], 1):.1f} ms" for name in servers_by_name), flush=True)
            _web.report("POST /apply/", runs["product"], runs["baseline"], goal=0.35)
            if args.before:
                _web.report("POST /apply/ BEFORE", runs["before"], runs["baseline"], goal=0.6)
            if args.minimum:
                _web.report("POST /apply/ accountable minimum", runs["minimum"], runs["baseline"], goal=0.6)
                _web.report("POST /apply/ product vs the accountable minimum", runs["product"], runs["minimum"],
                            goal=None)
            if args.peer:
                _web.report("POST /apply/ a typical peer", runs["peer"], runs["baseline"], goal=None)
                _web.report("POST /apply/ product vs a typical peer", runs["product"], runs["peer"], goal=1.0)
    finally:
        _web.truncate_all()


if __name__ == "__main__":
    main()
