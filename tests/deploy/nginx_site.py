"""deploy/nginx/privacy-portal.conf (or any version of it) running on its own ports in front of a stand-in
upstream that answers every request with the size of its body: what nginx itself refuses, buffers and holds is
the subject (tests/deploy/test_nginx_limits.py, bench/nginx_memory.py)."""

import http.server
import os
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

from tests.deploy.test_production_topology import NGINX, _certificate, _free_port, _nginx_config


class _Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        text = f"upstream got {len(body)} bytes".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)

    do_GET = do_POST = _answer  # noqa: N815 (the handler's names)

    def log_message(self, *args) -> None:
        pass


class NginxSite:
    def __init__(self, directory: Path, site_conf: str | None = None) -> None:
        self.dir = directory
        self.logs = directory / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.ports = {"http": _free_port(), "https": _free_port(), "gunicorn": _free_port()}
        self.upstream = http.server.ThreadingHTTPServer(("127.0.0.1", self.ports["gunicorn"]), _Upstream)
        threading.Thread(target=self.upstream.serve_forever, daemon=True).start()
        cert, key = _certificate(directory)
        self.conf = _nginx_config(directory, self.logs, self.ports, cert, key, site=site_conf)
        self.proc = subprocess.Popen([NGINX, "-p", str(directory), "-c", str(self.conf), "-g", "daemon off;"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.ports["https"]), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)

    def connect(self, source: str = "127.0.0.1") -> ssl.SSLSocket:
        """A TLS connection from `source` (any 127.x.y.z: a visitor's address of its own)."""
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context.wrap_socket(socket.create_connection(("127.0.0.1", self.ports["https"]), timeout=30,
                                                            source_address=(source, 0)))

    def post(self, path: str, size: int, *, sent: int | None = None, source: str = "127.0.0.1") -> ssl.SSLSocket:
        """A POST declaring `size` bytes, of which `sent` (all, by default) are sent; the socket is returned open."""
        sock = self.connect(source)
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\n"
                     f"Content-Length: {size}\r\n\r\n".encode())
        remaining = size if sent is None else sent
        chunk = b"\0" * 65536
        while remaining > 0:
            sock.sendall(chunk[:remaining])
            remaining -= min(remaining, len(chunk))
        return sock

    @staticmethod
    def status(sock: ssl.SSLSocket) -> int:
        """The status line's code (0: the connection was closed without an answer)."""
        try:
            line = sock.recv(4096).split(b"\r\n", 1)[0]
        except (OSError, ssl.SSLError):
            return 0
        return int(line.split()[1]) if line.startswith(b"HTTP/") else 0

    def memory_kib(self) -> int:
        """Resident memory of nginx's worker processes together (KiB)."""
        total = 0
        children = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout.split()
        for pid in children:
            status = Path(f"/proc/{pid}/status").read_text()
            total += int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1])
        return total

    def temp_files(self) -> list[Path]:
        return [p for p in (self.dir / "client_body").rglob("*") if p.is_file()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=20)
        self.upstream.shutdown()
