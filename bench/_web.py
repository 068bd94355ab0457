"""Shared by bench/intake.py and bench/pages.py: the product and the baseline under gunicorn, driven by wrk.

Both servers run the production settings (DEBUG=0) on the bench database and Redis, with 2 sync workers
(deploy/gunicorn.conf.py): the product with privacy_portal.settings, the baseline (bench/baseline, a
bench-only app) with bench.baseline.settings. wrk drives one at a time with 8 connections; the rounds
are interleaved so that both see the same machine.
"""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import _common

ROOT = _common.ROOT
WRK = os.environ.get("WRK", "wrk")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup(*, media_root: str) -> None:
    """Django (DEBUG=1 for the generated development secrets) on the bench database, migrated (the
    baseline's table too), emptied, with the site set up as an operator would (setup_site)."""
    if os.environ.get("DEBUG") != "1":
        sys.exit("run with DEBUG=1 (the bench generates development secrets; the servers run with DEBUG=0)")
    _common.django_setup(media_root=media_root)
    migrated = subprocess.run([sys.executable, "manage.py", "migrate", "bench_baseline", "-v0"], cwd=ROOT,
                              env={**os.environ, "DJANGO_SETTINGS_MODULE": "bench.baseline.settings"},
                              capture_output=True, text=True)
    if migrated.returncode:
        sys.exit(f"migrating the baseline app failed:\n{migrated.stderr[-2000:]}")
    truncate_all()
    from django.core.management import call_command

    call_command("setup_site", "--from", str(ROOT / "deploy" / "site.example.toml"), stdout=open(os.devnull, "w"))  # noqa: SIM115


def truncate_all() -> None:
    """Every product table a request writes (and the baseline's), only ever on a bench database."""
    from django.apps import apps
    from django.db import connection

    if not _common.is_bench_database(connection.settings_dict["NAME"]):
        raise RuntimeError("refusing to truncate a database that is not a bench database")
    tables = [model._meta.db_table
              for label in ("audit", "vault", "subjects", "consent", "notifications", "policies", "cookies",
                            "selfservice", "sessions", "recruitment")
              for model in apps.get_app_config(label).get_models() if model._meta.managed]
    tables += ["bench_baseline_application", "bench_baseline_sealedapplication", "bench_baseline_peerapplication",
               "bench_baseline_peerconsent", "bench_baseline_peeraudit"]
    with connection.cursor() as cursor:
        cursor.execute("SET privacy_portal.allow_audit_truncate = on")
        cursor.execute(f"TRUNCATE {', '.join(connection.ops.quote_name(t) for t in tables)} CASCADE")
        cursor.execute("RESET privacy_portal.allow_audit_truncate")


def _var(name: str) -> str:
    return (ROOT / "var" / name).read_text().strip()


@dataclass
class Server:
    name: str
    settings_module: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen | None = None
    root: Path = ROOT  # the checkout it runs (--before: an older one, same database and secrets)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def production_env(*, port: int, logs: Path, queue: str) -> dict[str, str]:
    """What gunicorn reads under production settings; the development secrets passed as a deployment would."""
    dropped = {"DEBUG", "EMAIL_URL", "SMS_BACKEND", "DJANGO_SETTINGS_MODULE"}
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    master, index = _var("dev_pii_keys").split("\n")
    env.update(
        DEBUG="0", SECRET_KEY=_var("dev_secret_key"), PII_MASTER_KEYS=master, PII_INDEX_KEY=index,
        PROOF_SIGNING_KEYS=_var("dev_proof_keys"), AUDIT_KEY=_var("dev_audit_key"),
        ALLOWED_HOSTS="127.0.0.1", SITE_URL=f"http://127.0.0.1:{port}",
        # wrk speaks plain HTTP to gunicorn (TLS is nginx's job): no redirect to https.
        SECURE_SSL_REDIRECT="0",
        # The limit is checked (its cost is in the figures) but never reached by one client's thousands of posts.
        FORM_POST_RATE="100000000/h", TOKEN_PAGE_RATE="100000000/h",  # noqa: S106 (a rate, not a secret)
        # No worker runs: sends are published to this bench's own queue (emptied at the end), never delivered.
        CELERY_QUEUE=queue, EMAIL_URL="smtp://127.0.0.1:9", SMS_BACKEND="apps.notifications.backends.LocmemSmsBackend",
        GUNICORN_WORKERS="2", GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_ACCESS_LOG=str(logs / f"access-{port}.log"), GUNICORN_ERROR_LOG=str(logs / f"error-{port}.log"),
        PYTHONUNBUFFERED="1",
    )
    return env


class Servers:
    """The product and the baseline, each a gunicorn with 2 sync workers, started and stopped together."""

    def __init__(self, *, before: Path | None = None, minimum: bool = False, peer: bool = False) -> None:
        self.logs = Path(tempfile.mkdtemp(prefix="pp-bench-web-"))
        self.queue = f"bench-web-{uuid.uuid4().hex[:8]}"
        self.product = Server("product", "privacy_portal.settings")
        self.baseline = Server("baseline", "bench.baseline.settings")
        # The same product from another checkout (the code before a change), measured in the same rounds.
        self.before = Server("before", "privacy_portal.settings", root=before.resolve()) if before else None
        # The product's settings and pages, with POST /apply/ doing the least an accountable intake does.
        self.minimum = Server("minimum", "bench.baseline.minimum_settings") if minimum else None
        # A typical peer's intake (ATOMIC_REQUESTS, Fernet under one key, consent rows, an audit row, a file).
        self.peer = Server("peer", "bench.baseline.peer_settings") if peer else None

    @property
    def all(self) -> list[Server]:
        return [s for s in (self.product, self.before, self.minimum, self.peer, self.baseline) if s is not None]

    def __enter__(self) -> "Servers":
        env = production_env(port=self.product.port, logs=self.logs, queue=self.queue)
        for root in {server.root for server in self.all}:
            collected = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=root,
                                       env=env, capture_output=True, text=True)
            if collected.returncode:
                sys.exit(f"collectstatic failed in {root}:\n{collected.stderr[-2000:]}")
        for server in self.all:
            env = production_env(port=server.port, logs=self.logs, queue=self.queue)
            env["DJANGO_SETTINGS_MODULE"] = server.settings_module
            server.proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"],
                                           cwd=server.root, env=env, start_new_session=True,
                                           stdout=open(self.logs / f"{server.name}.out", "ab"),  # noqa: SIM115
                                           stderr=subprocess.STDOUT)
        for server in self.all:
            wait_answers(server.url + ("/ok/" if server is self.baseline else "/"), server)
        print(f"gunicorn (2 sync workers each, DEBUG=0): {', '.join(f'{s.name} {s.url}' for s in self.all)}"
              f"{f' (before: {self.before.root})' if self.before else ''}; logs in {self.logs}", flush=True)
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self.all:
            if server.proc and server.proc.poll() is None:
                os.killpg(server.proc.pid, 15)
                try:
                    server.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(server.proc.pid, 9)
        try:  # the sends published during the bench: nobody will deliver them
            import redis

            redis.Redis.from_url(os.environ["REDIS_URL"]).delete(self.queue)
        except Exception as exc:  # noqa: BLE001 (cleaning up; the figures are already printed)
            print(f"could not empty queue {self.queue}: {type(exc).__name__}")


def wait_answers(url: str, server: Server, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            sys.exit(f"{server.name} gunicorn exited; see its log")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"{server.name} did not answer at {url}")


@dataclass
class Form:
    """What a visitor's browser has after loading a form: the CSRF cookie and token, the hidden fields."""

    cookie: str
    hidden: dict[str, str]


def form_of(url: str) -> Form:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(url, timeout=10) as response:
        html = response.read().decode()
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html))
    hidden.update(re.findall(r'<input name="([^"]+)" type="hidden" value="([^"]*)"', html))
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "csrfmiddlewaretoken" not in hidden or "csrftoken" not in cookie:
        sys.exit(f"no CSRF token on {url}")
    return Form(cookie, hidden)


@dataclass
class Result:
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit]


def wrk(url: str, *, seconds: float, script: str | None = None, connections: int = 8, threads: int = 2) -> Result:
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", "--timeout", "10s"]
    if script:
        command += ["-s", script]
    done = subprocess.run([*command, url], capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"wrk failed: {done.stderr[-2000:]}")
    out = done.stdout
    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.M))
    if set(latency) != {"50", "99"}:
        sys.exit(f"no latency distribution in wrk output:\n{out}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    return Result(rate=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), p50_ms=_ms(latency["50"]),
                  p99_ms=_ms(latency["99"]), requests=requests,
                  bad=(int(bad.group(1)) if bad else 0) + (sum(map(int, errors.groups())) if errors else 0))


def lua_get(path: str, *, headers: dict[str, str] | None = None) -> str:
    """A wrk script for GET requests with these headers (e.g. a language)."""
    lines = [f'wrk.headers["{k}"] = "{v}"' for k, v in (headers or {}).items()]
    return "\n".join([*lines, f'wrk.path = "{path}"', ""])


def write_script(text: str) -> str:
    handle, path = tempfile.mkstemp(prefix="pp-bench-", suffix=".lua")
    with os.fdopen(handle, "w") as f:
        f.write(text)
    return path


def report(label: str, product: list[Result], baseline: list[Result], goal: float | None) -> float:
    """The median of the same-round ratios (each round's pair ran back to back on the same machine), with the
    medians of each side's rates and latencies beside it."""
    rate, base = _common.median([r.rate for r in product]), _common.median([r.rate for r in baseline])
    p50, p99 = _common.median([r.p50_ms for r in product]), _common.median([r.p99_ms for r in product])
    b50, b99 = _common.median([r.p50_ms for r in baseline]), _common.median([r.p99_ms for r in baseline])
    ratios = [p.rate / b.rate for p, b in zip(product, baseline, strict=True)]
    ratio = _common.median(ratios)
    print(f"{label}: {rate:.1f} req/s (p50 {p50:.1f} ms, p99 {p99:.1f} ms) vs baseline {base:.1f} req/s "
          f"(p50 {b50:.1f} ms, p99 {b99:.1f} ms): ratio {ratio:.3f} (median of the rounds' ratios "
          f"{[round(r, 3) for r in ratios]}); "
          f"{'' if goal is None else f'goal >= {goal} [met]; ' if ratio >= goal else f'goal >= {goal} [NOT met]; '}"
          f"rounds {[round(r.rate, 1) for r in product]} vs "
          f"{[round(r.rate, 1) for r in baseline]}", flush=True)
    return ratio


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and all its descendants (gunicorn's master and workers)."""
    total, ticks = 0.0, os.sysconf("SC_CLK_TCK")
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
            for task in Path(f"/proc/{current}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total
