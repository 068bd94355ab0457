"""gunicorn for Privacy Portal: `gunicorn -c deploy/gunicorn.conf.py privacy_portal.wsgi`.

Read from the environment (the same EnvironmentFile as the app): GUNICORN_BIND, GUNICORN_WORKERS,
GUNICORN_ACCESS_LOG and GUNICORN_ERROR_LOG (a path, or "-" for stdout/stderr and so the journal).
The access log never holds a private-link token: every line goes through the app's own redaction
filter, which rewrites /me/<token>/… to /me/[token]/… (in the path and in the Referer).
"""

import multiprocessing
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from apps.core.logging import RedactPrivateLinks  # noqa: E402 (after the path is set)

chdir = str(ROOT)
wsgi_app = "privacy_portal.wsgi"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# Sync workers: each request holds one process; uploads are bounded (10 MB) before they are read.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
timeout = 30
graceful_timeout = 30
keepalive = 5
# A worker is replaced after 2,000 to 4,000 requests (a jitter as large as the limit), so slow leaks never add
# up and workers started together never recycle together: each one's limit is drawn on its own, and a recycled
# worker finishes its request first (graceful) while the others serve. A new worker renders the public pages
# before its first request (post_worker_init), so it never starts with an empty page cache.
max_requests = 2000
max_requests_jitter = 2000
# No control socket (gunicornc): systemd signals are the interface, and it would live in $HOME.
control_socket_disable = True
limit_request_line = 4094
limit_request_fields = 60
# X-Forwarded-Proto is believed only from the reverse proxy (the app itself also checks TRUSTED_PROXIES).
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "127.0.0.1,::1")
proxy_allow_ips = forwarded_allow_ips

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
# Remote address, request line, status, size, seconds, Referer: no query values beyond the path's own.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(L)s "%(f)s"'


def _handler(target: str, stream: str) -> dict:
    if target == "-":
        return {"class": "logging.StreamHandler", "stream": stream, "formatter": "plain", "filters": ["redact"]}
    return {"class": "logging.FileHandler", "filename": target, "formatter": "plain", "filters": ["redact"]}


logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": RedactPrivateLinks}},
    "formatters": {"plain": {"format": "%(asctime)s [%(process)d] %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "access": _handler(accesslog, "ext://sys.stdout"),
        "error": _handler(errorlog, "ext://sys.stderr"),
    },
    "root": {"level": "INFO", "handlers": ["error"]},
    "loggers": {
        "gunicorn.access": {"level": "INFO", "handlers": ["access"], "propagate": False},
        "gunicorn.error": {"level": "INFO", "handlers": ["error"], "propagate": False},
    },
}


def post_worker_init(worker) -> None:
    """Warm this worker's page cache (apps.core.pagecache.pages_warm) before it accepts a request."""
    from apps.core.pagecache import pages_warm  # Django is set up by now (the app is loaded)

    pages_warm()
