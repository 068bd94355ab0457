"""The memory attack on /apply/: one request with N file parts of 10 MB to a real gunicorn worker.

Prints the worker's resident memory before the request and its peak (VmHWM) after. Run it against
any checkout (`--checkout DIR`, default this one) to compare before/after a change; it needs no
database (the attack is over before the view runs) and starts gunicorn with DEBUG=1 on SQLite.

    .venv/bin/python bench/upload_memory.py --parts 99 [--checkout ../other-worktree]
"""

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _memory(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text().splitlines()
    return {line.split(":")[0]: int(line.split()[1]) // 1024 for line in status if line.startswith(("VmRSS", "VmHWM"))}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parts", type=int, default=99)
    parser.add_argument("--checkout", default=str(ROOT))
    args = parser.parse_args()
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DEBUG="1", DATABASE_URL=f"sqlite:///{tmp}/db.sqlite3", RATELIMIT_ENABLE="0")
        env.pop("REDIS_URL", None)
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "privacy_portal.wsgi", "-b", f"127.0.0.1:{port}",
                                 "-w", "1", "--timeout", "120", "--no-control-socket"], cwd=args.checkout, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            time.sleep(3)
            worker = int(Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()[0])
            for _ in range(3):
                with socket.create_connection(("127.0.0.1", port)) as sock:
                    sock.sendall(b"GET /apply/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    while sock.recv(65536):
                        pass
            before = _memory(worker)
            boundary, token = "b0undary", "a" * 32
            part = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"id_document\"; filename=\"x.pdf\"\r\n"
                    "Content-Type: application/pdf\r\n\r\n").encode() + b"%PDF-" + b"A" * (10 * MIB - 5) + b"\r\n"
            csrf = f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrfmiddlewaretoken\"\r\n\r\n{token}\r\n"
            length = len(csrf) + args.parts * len(part) + len(f"--{boundary}--\r\n")
            started = time.monotonic()
            with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
                sock.sendall((f"POST /apply/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: csrftoken={token}\r\n"
                              f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
                              f"Content-Length: {length}\r\nConnection: close\r\n\r\n{csrf}").encode())
                try:
                    for _ in range(args.parts):
                        sock.sendall(part)
                    sock.sendall(f"--{boundary}--\r\n".encode())
                except OSError:
                    pass
                status = sock.recv(64).split(b"\r\n")[0].decode(errors="replace")
            elapsed = time.monotonic() - started
            after = _memory(worker)
            print(f"checkout {args.checkout}: {args.parts} parts of 10 MB -> {status!r} in {elapsed:.1f}s; "
                  f"worker RSS {before['VmRSS']} MiB before, peak {after['VmHWM']} MiB, now {after['VmRSS']} MiB")
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=20)


if __name__ == "__main__":
    main()
