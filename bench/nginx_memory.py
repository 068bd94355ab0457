"""What unfinished uploads make nginx hold: N clients (4 per address) each declare a 20 MB application and send
part of it (--sent MiB), then wait.

Runs deploy/nginx/privacy-portal.conf of two versions in turn (`--before REV`, default the commit before the
per-location limits; and this checkout's), each in front of a stand-in upstream, and prints per version: uploads
held, uploads refused (429), nginx workers' resident memory, and files in nginx's client-body temporary
directory (must stay 0: an ID scan never lands there in clear).

    .venv/bin/python bench/nginx_memory.py --clients 80 [--before c941d12]
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEBUG", "1")  # the test helpers it borrows import Django (nothing here uses it)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacy_portal.settings")

import django  # noqa: E402 (after the environment is set)

django.setup()

from tests.deploy.nginx_site import NginxSite  # noqa: E402

MB = 1024 * 1024


def run(label: str, site_conf: str, clients: int, sent_mb: int) -> None:
    """Opens every upload within client_body_timeout (10 s after): what is held is what an attacker holds."""
    with tempfile.TemporaryDirectory() as tmp:
        site = NginxSite(Path(tmp), site_conf)
        try:
            idle = site.memory_kib()
            started = time.monotonic()
            socks = []
            for i in range(clients):
                try:
                    socks.append(site.post("/apply/", 20 * MB, sent=sent_mb * MB, source=f"127.0.1.{i // 4 + 1}"))
                except OSError:  # refused and closed while we were still sending
                    socks.append(None)
            opened = time.monotonic() - started
            held = refused = 0
            for sock in socks:
                if sock is None:
                    refused += 1
                    continue
                sock.settimeout(0.05)
                try:
                    refused += sock.recv(64).startswith(b"HTTP/1.1 429")  # else closed (timed out): neither
                except TimeoutError:
                    held += 1  # no answer: nginx holds it, waiting for the rest of the body
            held_kib = site.memory_kib()
            print(f"{label:>8} | {clients:>7} | {sent_mb:>4} MiB | {held:>4} | {refused:>7} "
                  f"| {idle // 1024:>5} MiB | {held_kib // 1024:>8} MiB | {len(site.temp_files()):>10} "
                  f"| {opened:.1f} s", flush=True)
            for sock in socks:
                if sock is not None:
                    sock.close()
        finally:
            site.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=80)
    parser.add_argument("--sent", type=int, default=5, help="MiB each client sends of its 20 MB body")
    parser.add_argument("--before", default="c941d12")
    args = parser.parse_args()
    before = subprocess.run(["git", "show", f"{args.before}:deploy/nginx/privacy-portal.conf"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    print("version  | clients | sent each | held | refused | idle RSS  | RSS held     | temp files | opened in")
    run("before", before, args.clients, args.sent)
    run("after", (ROOT / "deploy" / "nginx" / "privacy-portal.conf").read_text(), args.clients, args.sent)


if __name__ == "__main__":
    main()
