"""Bench-only settings for bench/api.py: the product's settings plus the baseline endpoint's app and URL."""

from privacy_portal.settings import *  # noqa: F403
from privacy_portal.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.api_baseline"]
ROOT_URLCONF = "bench.api_urls"
# DEBUG=1 lets the settings make development keys; the bench then runs as production does (no query log).
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
