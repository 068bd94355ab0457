"""Settings for Privacy Portal, read from the environment in this one place.

Production values are the defaults; DEBUG=1 relaxes what a developer's laptop
needs relaxed (plain HTTP, generated development secrets under var/).
"""

import base64
import ipaddress
import logging
import os
import re
import secrets
import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from privacy_portal.beat import beat_schedule

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
if (BASE_DIR / ".env").exists():
    # A developer's .env; real environment variables take precedence.
    environ.Env.read_env(BASE_DIR / ".env")
logger = logging.getLogger(__name__)


def _file_or_env(name: str, default: str | None = None) -> str | None:
    """A secret may be given directly or as a path in NAME_FILE (Docker/K8s secrets)."""
    path = env.str(f"{name}_FILE", default="")
    if path:
        return Path(path).read_text().strip()
    return env.str(name, default=default)


def _dev_secret(filename: str, make: callable) -> str:
    """Create a development-only secret once under var/ so `make demo` needs no set-up."""
    VAR_DIR.mkdir(exist_ok=True)
    path = VAR_DIR / filename
    if not path.exists():
        path.write_text(make())
        path.chmod(0o600)
        logger.warning("Generated a development secret in %s; never use it in production.", path)
    return path.read_text().strip()


DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = _file_or_env("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE) to 50+ random characters, "
            "or DEBUG=1 for local development."
        )
    SECRET_KEY = _dev_secret("dev_secret_key", lambda: secrets.token_urlsafe(50))
elif not DEBUG and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("SECRET_KEY is too weak: use at least 50 random characters.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])


def _runserver_url(argv: list[str]) -> str:
    """Development: the address `manage.py runserver [addr:]port` serves, so that links in the emails it
    sends work on that port. Empty when this process is not runserver."""
    if len(argv) < 2 or not argv[0].endswith("manage.py") or argv[1] != "runserver":
        return ""
    addrport = next((a for a in argv[2:] if not a.startswith("-")), "8000")
    host, _, port = addrport.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    if host in {"0.0.0.0", "::", "0"}:  # noqa: S104 (a listening address, not a bind here)
        host = "127.0.0.1"
    return f"http://{'[' + host + ']' if ':' in host else host}:{port or '8000'}"


# In development, unset: the runserver's own address (or http://127.0.0.1:8000). `make demo` sets it.
SITE_URL = env.str("SITE_URL", default=(_runserver_url(sys.argv) or "http://127.0.0.1:8000") if DEBUG else ""
                   ).rstrip("/")
if not DEBUG and not SITE_URL:
    raise ImproperlyConfigured("SITE_URL is not set: the public https:// address used in emails and SMS.")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL] if SITE_URL else [])

INSTALLED_APPS = [
    "modeltranslation",  # before the admin: database texts visitors read, in English and Swahili
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",  # Django's form templates, for the site's form renderer (FORM_RENDERER)
    "phonenumber_field",
    "django_ratelimit",
    "csp",
    "apps.core",
    "apps.audit",
    "apps.vault",
    "apps.subjects",
    "apps.notifications",
    "apps.cookies",
    "apps.consent",  # seeded before policies: policy v1's generated table lists the purposes
    "apps.policies",
    "apps.recruitment",
    "apps.selfservice",
]

MIDDLEWARE = [
    "apps.core.http.ForwardedProtoMiddleware",  # https only if it is, or one of TRUSTED_PROXIES says so
    "apps.core.cache.ContentVersionsMiddleware",  # a request reads each content version once (apps/core/cache.py)
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Below WhiteNoise (static files come compressed from collectstatic), above all that writes a body:
    # compresses every response but the no-store ones (private pages: docs/compression.md).
    "apps.core.middleware.PublicGZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "apps.api.middleware.ApiMiddleware",  # /api/v1/: JSON 413/415 before the body is parsed; audits each call
    "apps.core.uploads.RequestBodyLimitMiddleware",  # before CSRF: a body too large is never parsed
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "apps.cookies.middleware.CookieConsentMiddleware",
    "apps.vault.middleware.VaultKeyScopeMiddleware",
    "django_ratelimit.middleware.RatelimitMiddleware",  # answers a blocked request with RATELIMIT_VIEW (429)
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "apps.core.middleware.DatabaseUnavailableMiddleware",  # a view failing on a down database: 503
]

ROOT_URLCONF = "privacy_portal.urls"
# Public pages rendered once per language and content version (apps/core/pagecache.py) are also kept per
# variant of what each of these returns for the request (a tuple): the visitor's cookie choice.
PAGE_CACHE_VARIANTS = ["apps.cookies.selectors.page_variant"]
# Every form renders its fields and its error summary the same way (apps/core/forms.py); form and widget
# templates are looked up once per process, and go through Django's cached loader whenever DEBUG is off.
FORM_RENDERER = "apps.core.forms.SiteFormRenderer"
WSGI_APPLICATION = "privacy_portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "apps.core.context_processors.site",
            ],
        },
    },
]


# --- Database -----------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A worker keeps its connection between requests (opening one costs the database a new backend process per
# request); checked before each request reuses it, so a restarted database is reconnected to, not an error.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=300)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # A file, not :memory:, so that a worker process can open the test database too; one per
    # test run, so that two runs on one machine do not share it.
    DATABASES["default"]["TEST"]["NAME"] = str(VAR_DIR / f"test-{os.getpid()}.sqlite3")
    # The embedded mode runs jobs in threads beside the request: a transaction takes the write lock when it
    # begins, so two writers wait for each other (up to the timeout) instead of one failing at once with
    # "database is locked" when a read turns into a write.
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Dates as Kenyans write them, on every page and in every email: day month year, 24-hour clock, Nairobi time.
FORMAT_MODULE_PATH = ["apps.core.formats"]

# --- The vault: master keys, blind-index key, key store -----------------------------
# The key store (wrapped data keys, deletion certificates) may live in its own database so the
# main database can be backed up for the long term without it. Unset: the main database.
if env.str("VAULT_DATABASE_URL", default=""):
    DATABASES["vault"] = env.db_url("VAULT_DATABASE_URL")
    DATABASES["vault"]["CONN_MAX_AGE"] = DATABASES["default"]["CONN_MAX_AGE"]
    DATABASES["vault"]["CONN_HEALTH_CHECKS"] = True
DATABASE_ROUTERS = ["apps.vault.routers.VaultRouter"]


def _dev_pii_keys() -> str:
    def key() -> str:
        return base64.b64encode(os.urandom(32)).decode()

    return f"dev1:{key()}\n{key()}"


PII_MASTER_KEYS = _file_or_env("PII_MASTER_KEYS", default="") or ""
PII_INDEX_KEY = _file_or_env("PII_INDEX_KEY", default="") or ""
if DEBUG and not PII_MASTER_KEYS and not PII_INDEX_KEY:
    PII_MASTER_KEYS, PII_INDEX_KEY = _dev_secret("dev_pii_keys", _dev_pii_keys).split("\n")
# With DEBUG off, missing or malformed keys stop start-up: here for every process (web, worker,
# beat), and as system check vault.E001 for manage.py.
if not DEBUG:
    from apps.vault.keyring import parse_keyring

    parse_keyring(PII_MASTER_KEYS, PII_INDEX_KEY)

# Proofs people keep (signed receipts, certificates, tree heads): Ed25519 seeds, newest first.
def _dev_proof_keys() -> str:
    import base64

    return f"dev1:{base64.b64encode(os.urandom(32)).decode()}"


PROOF_SIGNING_KEYS = _file_or_env("PROOF_SIGNING_KEYS", default="") or ""
if DEBUG and not PROOF_SIGNING_KEYS:
    PROOF_SIGNING_KEYS = _dev_secret("dev_proof_keys", _dev_proof_keys)
# With DEBUG off a missing or malformed key stops start-up (and is system check vault.E002).
if not DEBUG:
    from apps.vault.proofs import parse_signing_keys

    parse_signing_keys(PROOF_SIGNING_KEYS)
# The public log's signed tree head is published at least this often (beat); seconds.
TRANSPARENCY_HEAD_SECONDS = env.int("TRANSPARENCY_HEAD_SECONDS", default=600)

# Audit events are spread over this many hash chains so writers do not queue on one lock.
AUDIT_CHAINS = env.int("AUDIT_CHAINS", default=16)
# The audit chain's HMAC key: base64(32 bytes), kept outside the database (system check audit.E001).
AUDIT_KEY = _file_or_env("AUDIT_KEY", default="") or ""
if DEBUG and not AUDIT_KEY:
    AUDIT_KEY = _dev_secret("dev_audit_key", lambda: base64.b64encode(os.urandom(32)).decode())
if not DEBUG:  # every process (web, worker, beat) stops at start-up without it; check audit.E001 says so too
    from apps.audit.keys import decode_audit_key

    decode_audit_key(AUDIT_KEY)

# --- Cache and jobs -----------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")


def _no_retry() -> object:
    """redis-py's Retry with no retries; imported only when Redis is configured."""
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return Retry(NoBackoff(), 0)


# Every key this deployment writes to Redis starts with this (cache entries, rate-limit counters, locks,
# heartbeats, the broker's queues), so deployments sharing one Redis database (staging and production, two
# sites) never read each other's. Defaults to the database's name, which differs between deployments.
REDIS_KEY_PREFIX = env.str("REDIS_KEY_PREFIX", default="") or Path(str(DATABASES["default"]["NAME"])).stem
if not re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", REDIS_KEY_PREFIX):
    raise ImproperlyConfigured("REDIS_KEY_PREFIX: 1 to 64 letters, digits, '_', '.' or '-'.")

if REDIS_URL:
    # Rate-limit counters only. While Redis does not answer, each process counts in memory instead
    # (apps/core/cache.py): a limit still holds per process, and no page answers 500.
    CACHES = {"default": {
        "BACKEND": "apps.core.cache.RedisCacheWithLocalFallback", "LOCATION": REDIS_URL,
        # No client-side retries (redis-py retries 10 times by default): a dead Redis costs a
        # request one refused connection, then the fallback counts.
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "retry": _no_retry()},
        "KEY_PREFIX": REDIS_KEY_PREFIX,
    }}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# With no Redis, the in-memory transport (jobs run eagerly); a hostname, or kombu warns that none was given.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
# With no broker configured the site still works: jobs run in-process when their transaction commits.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
# The queue this deployment's jobs go through (several deployments may share one Redis).
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="celery")
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# The longest job (one erasure batch) is bounded by the hard limit; the visibility timeout is
# well above it so Redis never hands a running job to a second worker. A job whose worker died
# is picked up by the sweep long before the visibility timeout returns it.
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TASK_TIME_LIMIT = 300
# Bounded waits on Redis: a publish after commit, or a health check, never hangs on a dead or
# unreachable server (connect 1 s, each command 5 s; the worker's blocking pop is shorter).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 900, "socket_connect_timeout": 1, "socket_timeout": 5,
                                   "global_keyprefix": f"{REDIS_KEY_PREFIX}:"}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": f"{REDIS_KEY_PREFIX}:"}
# Nothing reads a job's result (jobs write their outcome to the database), so a publish never
# touches the result store: with results on, Celery subscribes to the result channel at publish
# time and retries a dead Redis 20 times (~20 s) before raising. Tasks that are read (ping) say so.
CELERY_TASK_IGNORE_RESULT = True
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 5
CELERY_REDIS_BACKEND_HEALTH_CHECK_INTERVAL = 10
CELERY_RESULT_BACKEND_ALWAYS_RETRY = False
CELERY_RESULT_EXPIRES = 3600
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request never waits long on a broker outage: the job row is already written and the sweep
# re-drives it (see apps/core/jobs.py).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TIMEZONE = env.str("TIME_ZONE", default="Africa/Nairobi")
# Exactly one beat process runs this schedule (`make beat`); each entry is a thin trigger of a service.
# A second beat started by mistake stands by: the scheduler holds a PostgreSQL advisory lock.
CELERY_BEAT_SCHEDULER = "apps.core.beat:SingleBeatScheduler"
# How often beat re-drives work a broker outage left behind.
BEAT_REDRIVE_SECONDS = env.float("BEAT_REDRIVE_SECONDS", default=30.0)
AUDIT_ANCHOR_SECONDS = env.int("AUDIT_ANCHOR_SECONDS", default=60)
# The schedule itself is privacy_portal/beat.py (one place, every entry a registered task).
CELERY_BEAT_SCHEDULE = beat_schedule(redrive_seconds=BEAT_REDRIVE_SECONDS, audit_anchor_seconds=AUDIT_ANCHOR_SECONDS,
                                     transparency_head_seconds=TRANSPARENCY_HEAD_SECONDS)
# A vacancy this many days past its closing date is closed by beat (its applicants' data erased).
VACANCY_CLOSE_GRACE_DAYS = env.int("VACANCY_CLOSE_GRACE_DAYS", default=14)
# An open service with no activity for this long (unless its purposes say otherwise), and a person
# with no service at all, are erased.
ABANDONED_RECORD_DAYS = env.int("ABANDONED_RECORD_DAYS", default=90)
# People are told this many days before their data is erased for inactivity, with a link to keep it.
RETENTION_NOTICE_DAYS = env.int("RETENTION_NOTICE_DAYS", default=14)
# An erasure batch published but not started within this many seconds is published again by the sweep
# (its first message expires unstarted): a broker restart delays erasure by about a minute, no more.
ERASURE_REQUEUE_SECONDS = env.int("ERASURE_REQUEUE_SECONDS", default=60)
# An erasure batch (200 people) takes a few seconds; a run past this many seconds lost its worker (the task's
# hard time limit; the sweep hands a job back once it has been running this long and 30 s more).
ERASURE_TIME_LIMIT = 120
# Celery workers log through LOGGING below (with the private-link redaction filter), not their own setup.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Email ----------------------------------------------------------------------
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL",
    default="consolemail://" if DEBUG else "smtp://localhost:25",
)
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Privacy Portal <privacy@example.org>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_TIMEOUT = 10

# --- Auth -----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Internationalisation ---------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sw", _("Kiswahili"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = CELERY_TIMEZONE
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = "KE"

# --- Database texts in every language (issue 13) ------------------------------------
# django-modeltranslation: purposes and policy texts have a column per language (name_en, name_sw);
# reading `name` gives the active language's text, or the English one where none was written.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_LANGUAGES = ("en", "sw")
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)

# --- Static files -----------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
# /healthz fails its `media_space` check when less than this many megabytes are free under MEDIA_ROOT (about
# five of the largest uploads).
HEALTH_MEDIA_FREE_MB = env.int("HEALTH_MEDIA_FREE_MB", default=100)
# Where `seed_demo` writes the emails and SMS the demo sends (development backends), instead of the terminal.
DEMO_MESSAGES_FILE = env.path("DEMO_MESSAGES_FILE", default=str(VAR_DIR / "demo-messages.txt"))
# Django's database sessions, a new one written in one statement instead of seven (apps/core/sessions.py).
SESSION_ENGINE = "apps.core.sessions"

# --- Security: production defaults, relaxed only by DEBUG ----------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = 0 if DEBUG else env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
BEHIND_PROXY = env.bool("BEHIND_PROXY", default=False)
# The reverse proxies whose X-Forwarded-For we believe (addresses or networks); by default one on this host.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=["127.0.0.1", "::1"])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an IP address or network.") from None
# With BEHIND_PROXY=1, X-Forwarded-Proto is believed from TRUSTED_PROXIES only (apps.core.http.ForwardedProtoMiddleware,
# first in MIDDLEWARE); SECURE_PROXY_SSL_HEADER would believe it from anyone who reaches the app.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Uploads are held in memory only (never spooled to /tmp in clear), up to this many bytes.
UPLOAD_MAX_BYTES = 10 * 1024 * 1024
FILE_UPLOAD_HANDLERS = ["apps.core.uploads.BoundedMemoryUploadHandler"]

# --- Site identity (shown on every form, as the law asks) ----------------------------
CONTROLLER_NAME = env.str("CONTROLLER_NAME", default="Jamii Talent Ltd")
PRIVACY_OFFICER_EMAIL = env.str("PRIVACY_OFFICER_EMAIL", default="privacy@example.org")
# The controller's certificate of registration with the Office of the Data Protection Commissioner (Data Protection
# Act 2019, s.18: nobody may act as a data controller or processor unless registered). Required with DEBUG off (the
# system check core.E002 refuses to start without it); shown on the policy page, every form's notice, receipts,
# certificates and the records of processing.
CONTROLLER_REGISTRATION = env.str("CONTROLLER_REGISTRATION", default="").strip()
# Applicants younger than this are refused (Data Protection Act 2019, s.33: a child's data only with a parent's or
# guardian's consent, which a job application cannot carry): the form asks the date of birth, keeps nothing from a
# child's try, and does not keep the date; the API refuses such a candidate (candidate_minor).
MINIMUM_APPLICANT_AGE = env.int("MINIMUM_APPLICANT_AGE", default=18)
# Our own processors, which receive people's addresses and messages to deliver them: where each processes the data
# (ISO code) and, outside Kenya, the safeguard for the transfer (adequacy, appropriate-safeguards, consent; Act
# ss.48-50). One abroad without a safeguard stops start-up (system check core.E003): nothing is sent to it.
DATA_PROCESSORS = {
    "email": {"country": env.str("EMAIL_PROCESSOR_COUNTRY", default="KE").upper(),
              "safeguard": env.str("EMAIL_PROCESSOR_SAFEGUARD", default="")},
    "sms": {"country": env.str("SMS_PROCESSOR_COUNTRY", default="KE").upper(),
            "safeguard": env.str("SMS_PROCESSOR_SAFEGUARD", default="")},
}
# Our registration as a data processor (for the client companies whose candidates we handle), where we hold one.
PROCESSOR_REGISTRATION = env.str("PROCESSOR_REGISTRATION", default="").strip()

# --- Cookies and CSP ---------------------------------------------------------------
# A visitor's cookie choice stands this long; then (or when the cookie declaration changes) we ask again.
COOKIE_CONSENT_MAX_AGE_DAYS = env.int("COOKIE_CONSENT_MAX_AGE_DAYS", default=365)
COOKIE_CONSENT_COOKIE_NAME = "pp_consent"
# Which form a browser has just sent (signed ids, no personal data): the code page and then the done page read it.
FORM_SENT_COOKIE_NAME = "pp_sent"
# Nothing from another origin, no inline script or style: what the page may load is exactly what we serve.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

# --- Notifications ------------------------------------------------------------------
# SMS goes through a backend chosen like EMAIL_BACKEND. The console backend prints messages (and so
# personal data) to stdout: development only. Production sends through Africa's Talking.
SMS_BACKEND = env.str(
    "SMS_BACKEND",
    default="apps.notifications.backends.ConsoleSmsBackend"
    if DEBUG
    else "apps.notifications.backends.AfricasTalkingSmsBackend",
)
AFRICASTALKING_USERNAME = env.str("AFRICASTALKING_USERNAME", default="")
AFRICASTALKING_API_KEY = _file_or_env("AFRICASTALKING_API_KEY", default="") or ""
# An alphanumeric sender id or short code registered with Africa's Talking; unset: their default.
AFRICASTALKING_SENDER_ID = env.str("AFRICASTALKING_SENDER_ID", default="")
# A send is tried this many times (with backoff) before it is marked failed.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=8)
# The longest wait between two tries of a message (seconds; the waits double from 10 s up to it).
NOTIFICATION_RETRY_BACKOFF_MAX = 600
# A send claimed by a worker process that is gone (no heartbeat) is handed back after this many
# seconds from its claim; if its provider had accepted it, it is only recorded as sent.
NOTIFICATION_DEAD_CLAIM_GRACE = env.int("NOTIFICATION_DEAD_CLAIM_GRACE", default=30)
# The deletion confirmation's sealed address lives this long at most (apps/notifications/erasure_notices.py).
ERASURE_NOTICE_HOURS = env.float("ERASURE_NOTICE_HOURS", default=24.0)

# --- Policy versions (issue 13) -------------------------------------------------------------------
# A version comes into force on its date (recorded once), and a change campaign that stopped moving
# (broker down, worker killed) has its next batch published again.

# --- Forms and self-service -----------------------------------------------------------
SELF_SERVICE_LINK_DAYS = env.int("SELF_SERVICE_LINK_DAYS", default=30)
# A phone number named as a referee is told so by SMS at most once in this many days.
REFEREE_NOTICE_INTERVAL_DAYS = env.int("REFEREE_NOTICE_INTERVAL_DAYS", default=30)
# A form sent from the website waits this long for its address's owner to confirm it (code or link), then it
# and its key are destroyed (apps.recruitment.intake); the retention sweep deletes any left a day later. One
# reminder is sent after INTAKE_REMINDER_HOURS. Wrong codes allowed per form.
INTAKE_PENDING_DAYS = env.int("INTAKE_PENDING_DAYS", default=7)
INTAKE_BACKSTOP_DAYS = INTAKE_PENDING_DAYS + 1
INTAKE_REMINDER_HOURS = env.int("INTAKE_REMINDER_HOURS", default=48)
INTAKE_CODE_ATTEMPTS = 5
# At most this many SMS to one number per window (count, seconds), whatever sends them (apps.notifications.limits).
SMS_PER_NUMBER_LIMITS = ((env.int("SMS_PER_NUMBER_HOUR", default=3), 3600),
                         (env.int("SMS_PER_NUMBER_DAY", default=10), 86400))
# A file attached to a form that came back with mistakes is kept this long for the visitor to send it again.
UPLOAD_KEPT_MINUTES = env.int("UPLOAD_KEPT_MINUTES", default=30)
STEPUP_CODE_MINUTES = 10
STEPUP_MAX_TRIES = 5
# Wrong codes one link allows in 24 hours, across codes; the last one signs the link out.
STEPUP_MAX_FAILURES = env.int("STEPUP_MAX_FAILURES", default=10)
STEPUP_SESSION_MINUTES = 15  # how long a verified code keeps data visible in this browser
FORM_POST_RATE = env.str("FORM_POST_RATE", default="20/h")
RESEND_RATE = env.str("RESEND_RATE", default="5/h")
TOKEN_PAGE_RATE = env.str("TOKEN_PAGE_RATE", default="120/h")
RATELIMIT_VIEW = "apps.core.views.rate_limited"
RATELIMIT_IP_META_KEY = "apps.core.http.client_ip"  # the visitor, not the proxy (BEHIND_PROXY)
STEPUP_SEND_RATE = env.str("STEPUP_SEND_RATE", default="5/h")  # codes one person can be sent
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
# django-ratelimit lists only django-redis among Redis caches; Django's own RedisCache increments
# atomically too (INCR), which is all it needs.
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]
if not REDIS_URL:
    # Embedded mode (no Redis): limits are counted per process. Deployments that scale out set
    # REDIS_URL, and then the check applies in full.
    SILENCED_SYSTEM_CHECKS.append("django_ratelimit.E003")

# --- Staff: the admin, two-factor sign-in, lock-out, roles' registers (issue 14) -----------------
from datetime import timedelta  # noqa: E402

# The admin is the staff app's site (apps.staff.sites): a password and a TOTP code (django-otp) for everyone.
INSTALLED_APPS[INSTALLED_APPS.index("django.contrib.admin")] = "apps.staff.apps.StaffAdminConfig"
INSTALLED_APPS += ["django_otp", "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static", "axes",
                   "apps.staff"]
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "django_otp.middleware.OTPMiddleware")
MIDDLEWARE.append("axes.middleware.AxesMiddleware")  # answers a locked-out sign-in (last, as django-axes asks)
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
ADMIN_URL = env.str("ADMIN_URL", default="admin/").strip("/") + "/"
# A staff session ends this many hours after signing in.
STAFF_SESSION_HOURS = env.int("STAFF_SESSION_HOURS", default=8)
# A staff member's first second factor needs a one-time enrolment code (docs/staff-two-factor.md).
STAFF_ENROLMENT_HOURS = env.int("STAFF_ENROLMENT_HOURS", default=24)
# One bulk action (completing services, closing vacancies) erases at most this many people for staff without
# the approval permission; above it a privacy officer approves with their own code (four eyes).
STAFF_BULK_ERASURE_LIMIT = env.int("STAFF_BULK_ERASURE_LIMIT", default=25)
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default=f"Privacy Portal ({CONTROLLER_NAME})")
# django-axes: after AXES_FAILURE_LIMIT wrong passwords (or codes) for one account from one address, or from
# one address whatever the accounts, sign-in from that address is refused until the cool-off has passed.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
# Never the account alone: anyone could then keep a staff member locked out by failing with their username
# from anywhere. The pair locks an attacker out of that account; the address alone stops one address trying
# many accounts. Each item is a lock of its own; a list inside is one lock on the combination (axes 8.3).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_CLIENT_IP_CALLABLE = "apps.core.http.client_ip"
# Failures for one username from many addresses are slowed, never locked (apps/staff/signin.py): after this many
# failures held by axes, each try waits this long after the last failure.
STAFF_USERNAME_FAILURE_LIMIT = env.int("STAFF_USERNAME_FAILURE_LIMIT", default=10)
STAFF_USERNAME_DELAY_SECONDS = env.int("STAFF_USERNAME_DELAY_SECONDS", default=15)
AXES_LOCKOUT_TEMPLATE = "staff/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # its log lines name the account and address
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are not kept by axes; failures are, until the cool-off
# What axes keeps of a failed sign-in's form is masked: a backup code or an enrolment code typed with a wrong
# password is still valid and must not sit in the database in clear.
AXES_SENSITIVE_PARAMETERS = ["username", "ip_address", "otp_token", "code", "csrfmiddlewaretoken"]
# The statutory clocks for rights requests, in days from receipt. Defaults as we read the Data Protection
# (General) Regulations, 2021 (README "Rights requests" names the regulation behind each); shorten when in doubt.
RIGHTS_REQUEST_DAYS = {
    kind: env.int(f"RIGHTS_REQUEST_DAYS_{kind.upper()}", default=days)
    for kind, days in {"access": 7, "correction": 14, "erasure": 14, "objection": 14, "restriction": 14,
                       "portability": 30}.items()
}
# Breach clocks from discovery: the Data Commissioner (Act s.43: 72 hours), and a processor's notice to its
# controllers (48 hours).
BREACH_COMMISSIONER_HOURS = 72
BREACH_CONTROLLER_HOURS = 48

# --- Logging: ids, never values ----------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {"redact_links": {"()": "apps.core.logging.RedactPrivateLinks"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_links"]}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Request bodies never reach the log; a 500 is logged with its path only.
        "django.request": {"level": "ERROR", "propagate": True},
    },
}

# --- Controller API (issue 9) ---------------------------------------------------------------------
# django-ninja serves /api/v1/, its OpenAPI schema and a docs page from its own static files ("ninja" must be
# installed for that: without it the docs page would load Swagger UI from a CDN).
INSTALLED_APPS += ["ninja", "apps.api"]
# Calls one token may make (django-ratelimit, counted in Redis); over it: 429.
API_RATE = env.str("API_RATE", default="600/m")
# Calls refused for their token (401) one address may make; over it, that address gets 429 for a while.
API_FAILED_AUTH_RATE = env.str("API_FAILED_AUTH_RATE", default="60/m")
# A candidate with every field at its longest is under 16 KB.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=64 * 1024)
# An Idempotency-Key's first answer is kept (and replayed) this many days.
API_IDEMPOTENCY_DAYS = env.int("API_IDEMPOTENCY_DAYS", default=1)
