"""The applicant's journey through the production topology of deploy/: nginx terminating TLS (a
certificate made for this test) → gunicorn with deploy/gunicorn.conf.py (DEBUG=0, BEHIND_PROXY=1) →
a Celery worker and beat, on PostgreSQL and Redis; Chromium applies, follows the emailed link over
https, steps up and deletes. Then every log file is read: no token, no code, no value of the person.

And a witness (privacy_portal_verify.witness, its own process, no Django) follows the same site's public log
over https while a client company's erasures grow it, and stops saying why when the log is rolled back with
SQL."""

import datetime
import http.client
import ipaddress
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connections, transaction

from apps.subjects.models import DataSubject
from apps.vault.models import DeletionCertificate, LogLeaf, TreeHead
from apps.vault.routers import vault_db
from apps.vault.transparency import APPEND_LOCK
from privacy_portal_verify import witness
from tests.api.helpers import candidate_body, make_token, make_vacancy
from tests.conftest import ROOT, _free_port, _missing, _test_database_url, wait_for
from tests.factories import PDF_BYTES, ControllerFactory

pytestmark = pytest.mark.real_services
NGINX = "/usr/sbin/nginx"

PERSON = {"name": "Wanjiru Kamau", "email": "wanjiru.kamau@example.org", "mobile": "0712 345 678",
          "address": "Plot 7, Moi Avenue, Mombasa", "id_number": "31234567"}
REFEREES = [("Otieno Ouma", "0722 000 111"), ("Akinyi Adhiambo", "0733 000 222")]


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                                        x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


CHOICE_TOKEN = "Zm9vYmFyLWNob2ljZS10b2tlbi1ub3QtcmVhbA"
CONFIRM_TOKEN = "Y29uZmlybS10b2tlbi1ub3QtcmVhbC1laXRoZXI"


def _nginx_config(tmp: Path, logs: Path, ports: dict[str, int], cert: Path, key: Path, site: str | None = None) -> Path:
    """deploy/nginx/privacy-portal.conf as committed (or the text `site`), moved onto this test's ports, paths and
    certificate."""
    site = site if site is not None else (ROOT / "deploy" / "nginx" / "privacy-portal.conf").read_text()
    replacements = {
        "listen 80;": f"listen 127.0.0.1:{ports['http']};", "listen [::]:80;": "",
        "listen 443 ssl http2;": f"listen 127.0.0.1:{ports['https']} ssl http2;", "listen [::]:443 ssl http2;": "",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{ports['gunicorn']};",
        "/etc/letsencrypt/live/portal.example.org/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/portal.example.org/privkey.pem": str(key),
        "/var/log/nginx/": f"{logs}/", "/srv/privacy-portal/staticfiles/": f"{ROOT}/staticfiles/",
    }
    for old, new in replacements.items():
        assert old in site, f"deploy/nginx/privacy-portal.conf no longer has {old!r}"
        site = site.replace(old, new)
    (tmp / "site.conf").write_text(site)
    main = tmp / "nginx.conf"
    main.write_text(f"""
user root;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log {logs}/nginx-main.error.log error;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {logs}/nginx-default.access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
""")
    return main


def _wait_port(port: int, timeout: float = 60) -> None:
    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    wait_for(listening, timeout=timeout)


class Processes:
    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
        with open(log, "ab") as out:
            proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        self.procs.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def production(transactional_db, smtp_server, tmp_path):
    if not Path(NGINX).exists():
        _missing(f"nginx at {NGINX}")
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql") or not settings.REDIS_URL:
        _missing("PostgreSQL and Redis")
    call_command("setup_site", "--from", str(ROOT / "deploy" / "site.example.toml"), stdout=open(os.devnull, "w"))
    logs = tmp_path / "logs"
    logs.mkdir()
    ports = {"http": _free_port(), "https": _free_port(), "gunicorn": _free_port()}
    site_url = f"https://127.0.0.1:{ports['https']}"
    env = dict(os.environ)
    for name in ["DEBUG", "EMAIL_URL", "SMS_BACKEND", "RATELIMIT_ENABLE"]:
        env.pop(name, None)
    env.update(
        DEBUG="0", ALLOWED_HOSTS="127.0.0.1", SITE_URL=site_url, BEHIND_PROXY="1", TRUSTED_PROXIES="127.0.0.1",
        DATABASE_URL=_test_database_url(), EMAIL_URL=f"smtp://127.0.0.1:{smtp_server[1]}",
        SMS_BACKEND="apps.notifications.backends.LocmemSmsBackend", MEDIA_ROOT=str(tmp_path / "media"),
        CELERY_QUEUE=f"topology-{uuid.uuid4().hex[:8]}",  # this test's jobs reach this test's worker only
        GUNICORN_BIND=f"127.0.0.1:{ports['gunicorn']}", GUNICORN_WORKERS="2",
        GUNICORN_ACCESS_LOG=str(logs / "gunicorn.access.log"), GUNICORN_ERROR_LOG=str(logs / "gunicorn.error.log"),
        BEAT_REDRIVE_SECONDS="1", TRANSPARENCY_HEAD_SECONDS="1", PYTHONUNBUFFERED="1",
    )
    if "vault" in settings.DATABASES:
        env["VAULT_DATABASE_URL"] = _test_database_url("vault")
    collected = subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env,
                               capture_output=True, timeout=300)
    assert collected.returncode == 0, collected.stderr.decode()[-2000:]
    cert, key = _certificate(tmp_path)
    processes = Processes()
    try:
        processes.start([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"], env,
                        logs / "gunicorn.output.log")
        processes.start([sys.executable, "-m", "celery", "-A", "privacy_portal", "worker", "--loglevel=INFO",
                         "--concurrency=2", "--without-gossip", "--without-mingle",
                         f"--hostname=topology-{uuid.uuid4().hex[:8]}@%h"], env, logs / "worker.log")
        processes.start([sys.executable, "-m", "celery", "-A", "privacy_portal", "beat", "--loglevel=INFO",
                         "-s", str(tmp_path / "beat-schedule")], env, logs / "beat.log")
        nginx_conf = _nginx_config(tmp_path, logs, ports, cert, key)
        processes.start([NGINX, "-p", str(tmp_path), "-c", str(nginx_conf), "-g", "daemon off;"], env,
                        logs / "nginx.output.log")
        for port in ports.values():
            _wait_port(port)
        yield {"url": site_url, "ports": ports, "logs": logs, "cert": cert}
    finally:
        processes.stop_all()


def _mail(mailbox, subject_contains: str):
    def find():
        return next((m for m in mailbox if PERSON["email"] in m["X-Envelope-To"] and subject_contains in m["Subject"]),
                    None)

    message = wait_for(find, timeout=60)
    return next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()


def test_an_applicant_through_nginx_tls_gunicorn_worker_and_beat(production, mailbox, _browser, tmp_path):
    url, ports, logs = production["url"], production["ports"], production["logs"]

    # Plain HTTP only redirects to HTTPS.
    conn = http.client.HTTPConnection("127.0.0.1", ports["http"], timeout=10)
    conn.request("GET", "/apply/")
    redirect = conn.getresponse()
    assert redirect.status == 301 and redirect.getheader("Location").startswith("https://127.0.0.1")

    scan = tmp_path / "id-scan.pdf"
    scan.write_bytes(PDF_BYTES)
    context = _browser.new_context(base_url=url, ignore_https_errors=True)
    page = context.new_page()
    try:
        response = page.goto("/apply/")
        assert response.status == 200
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
        page.get_by_label("The job you are applying for").select_option(index=1)  # setup_site's vacancy
        page.get_by_label("Full name").fill(PERSON["name"])
        page.get_by_label("Date of birth").fill("14/02/1996")
        page.get_by_label("Email address").fill(PERSON["email"])
        page.get_by_label("Mobile number").fill(PERSON["mobile"])
        page.get_by_label("Postal or physical address").fill(PERSON["address"])
        page.get_by_label("Type of ID").select_option("national-id")
        page.get_by_label("ID number").fill(PERSON["id_number"])
        page.get_by_label("Scan or photo of your ID").set_input_files(str(scan))
        for n, (name, phone) in enumerate(REFEREES, 1):
            fieldset = page.get_by_role("group", name="First referee" if n == 1 else "Second referee")
            fieldset.get_by_label("Name").fill(name)
            fieldset.get_by_label("Phone number").fill(phone)
            fieldset.get_by_label("How they know you").fill("Former supervisor")
        page.get_by_label("I agree: Recruitment").check()
        page.get_by_label("I agree: Sharing with the hiring company").check()
        page.get_by_role("button", name="Send my application").click()
        assert page.get_by_role("heading", name="One more step: type the code we emailed you").is_visible()
        intake_code = re.search(r"^\s+(\d{6})\s*$", _mail(mailbox, "Confirm your application"), re.M).group(1)
        page.locator("#id_code").fill(intake_code)
        page.locator("button[value=code]").click()
        assert page.get_by_role("heading", name="Thank you — we have received it").is_visible()

        link = re.search(r"https://\S+/me/\S+/", _mail(mailbox, "holds about you")).group(0)
        assert link.startswith(url + "/me/")
        token = link.rstrip("/").rsplit("/", 1)[1]
        page.goto(link)
        page.get_by_role("link", name="Show my data in full").click()
        page.get_by_role("button", name="Send me a code").click()
        code = re.search(r"\b(\d{6})\b", _mail(mailbox, "code")).group(1)
        page.get_by_label("6-digit code").fill(code)
        page.get_by_role("button", name="Continue").click()
        assert page.locator("#v-full_name").inner_text() == PERSON["name"]

        page.goto(f"{url}/privacy/choice/{CHOICE_TOKEN}/")  # an opt-out link: its token is a credential too
        page.goto(f"{url}/confirm/{CONFIRM_TOKEN}/")  # a form's confirmation link: so is this one

        cookies = context.cookies()
        assert {c["name"] for c in cookies} >= {"csrftoken", "sessionid"}
        assert all(c["secure"] for c in cookies), cookies

        subject = DataSubject.objects.get()
        page.goto(link + "delete/")
        page.get_by_role("button", name="Yes, delete everything").click()
        # Erased by the web process or, if it claimed the job first, by the worker.
        assert page.get_by_role("heading", level=1).inner_text() in {"Your data is deleted",
                                                                       "Your data is being deleted"}
        wait_for(lambda: DeletionCertificate.objects.filter(subject_id=subject.pk).exists(), timeout=30)
        assert page.goto(link).status == 410
    finally:
        context.close()

    wait_for(lambda: "/me/[token]/" in (logs / "gunicorn.access.log").read_text(), timeout=10)
    time.sleep(1)  # the worker's last lines
    texts = {path.name: path.read_text(errors="replace") for path in sorted(logs.iterdir())}
    assert "/me/[token]/" in texts["privacy-portal.access.log"]  # nginx logged the visits, redacted
    assert "Sending due task erasure-redrive" in texts["beat.log"]  # beat schedules, the worker runs it
    assert re.search(r"erasure_redrive_task\[[^]]+\] succeeded", texts["worker.log"])
    secrets_and_values = [token, code, intake_code, CHOICE_TOKEN, CONFIRM_TOKEN, PERSON["name"], PERSON["email"],
                          "712345678", "712 345 678", PERSON["address"], PERSON["id_number"],
                          *[name for name, _ in REFEREES], "722000111", "733000222"]
    for name, text in texts.items():
        for value in secrets_and_values:
            assert value not in text, f"{value!r} found in {name}"


def _roll_back_to(size: int) -> None:
    """What an operator with the database's superuser could do to make erasures unhappen: delete every leaf
    from `size` on with its certificates and audit anchors, the subtrees they completed and the heads that
    covered them, in one transaction (past the append-only triggers), holding the appenders' lock."""
    db = vault_db()
    with transaction.atomic(using=db), connections[db].cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK])
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute('DELETE FROM vault_deletioncertificate WHERE id IN (SELECT certificate_id FROM vault_logleaf '
                       'WHERE "index" >= %s)', [size])
        cursor.execute('DELETE FROM vault_anchorentry WHERE anchor_id IN (SELECT anchor_id FROM vault_logleaf '
                       'WHERE "index" >= %s)', [size])
        cursor.execute('DELETE FROM vault_logleaf WHERE "index" >= %s', [size])
        cursor.execute('DELETE FROM vault_lognode WHERE ("index" + 1) << level::int > %s', [size])
        cursor.execute("DELETE FROM vault_treehead WHERE size > %s", [size])


def test_a_witness_follows_the_production_site_through_erasures_and_catches_a_rollback_made_with_sql(
        production, tmp_path):
    url, logs = production["url"], production["logs"]
    controller = ControllerFactory(name="Safari Telecom Ltd")
    vacancy = make_vacancy(controller)
    api = requests.Session()
    api.headers["Authorization"] = f"Bearer {make_token(controller)}"
    api.trust_env = False  # REQUESTS_CA_BUNDLE would replace the certificate this site's clients trust
    api.verify = str(production["cert"])

    # Someone off-site runs the witness every half second against the public site, trusting its TLS certificate.
    heads = tmp_path / "witness-heads.jsonl"
    with open(logs / "witness.out", "wb") as out, open(logs / "witness.err", "wb") as err:
        follower = subprocess.Popen(
            [sys.executable, "-m", "privacy_portal_verify.witness", url, "--heads", str(heads), "--every", "0.5",
             "--timeout", "10"], cwd=ROOT, stdout=out, stderr=err, start_new_session=True,
            env={"PATH": os.environ["PATH"], "SSL_CERT_FILE": str(production["cert"]), "PYTHONUNBUFFERED": "1"})
    try:
        seen = []
        for step, people in enumerate([2, 1, 3]):
            jobs = []
            for n in range(people):
                body = candidate_body(vacancy, n=step * 10 + n)
                handed = api.post(f"{url}/api/v1/candidates", json=body, timeout=30)
                assert handed.status_code == 201, handed.text
                completed = api.post(f"{url}/api/v1/engagements/{handed.json()['engagement']['id']}/complete",
                                     timeout=30)
                assert completed.status_code == 202, completed.text
                jobs += completed.json()["erasure_jobs"]
            for job in jobs:  # the worker erases; each certificate is signed and appended to the log
                wait_for(lambda job=job: api.get(f"{url}/api/v1/erasures/{job}", timeout=30).json()["state"] == "done",
                         timeout=60, interval=0.5)
            size = LogLeaf.objects.using(vault_db()).count()  # certificates, and any audit anchor beat logged
            # Beat publishes a head of the grown log within a second; the witness checks it and keeps it.
            wait_for(lambda size=size: heads.exists() and any(
                json.loads(line)["size"] >= size for line in heads.read_text().splitlines()), timeout=60)
            seen = [json.loads(line)["size"] for line in heads.read_text().splitlines()]
            assert follower.poll() is None, (logs / "witness.err").read_text()
        assert len(seen) >= 3 and seen == sorted(seen)
        assert "is signed and consistent with every head seen" in (logs / "witness.out").read_text()

        # The operator makes the last two steps' erasures unhappen: back to the first head the witness saw.
        first = seen[0]
        _roll_back_to(first)
        assert TreeHead.objects.using(vault_db()).order_by("-size").first().size == first
        follower.wait(timeout=60)
    finally:
        if follower.poll() is None:
            os.killpg(follower.pid, signal.SIGTERM)
            follower.wait(timeout=30)
    said = (logs / "witness.err").read_text()
    assert follower.returncode == witness.TAMPERED, said
    assert (f"TAMPERED: rollback: the log has {first} leaves, but a head of size {seen[1]} was seen before"
            in said), said
    # The operator's own check, given the witness's file, says the same.
    with pytest.raises(CommandError, match="does not verify"):
        call_command("verify_transparency_log", witness=[heads], stdout=open(os.devnull, "w"),
                     stderr=open(os.devnull, "w"))
