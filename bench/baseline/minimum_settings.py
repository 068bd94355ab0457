"""The accountable minimum's settings (bench/intake.py --minimum): the product's own settings and middleware,
with the bench app, and a URLconf where POST /apply/ is the least an accountable intake does (views.minimum)."""

from privacy_portal.settings import *  # noqa: F403
from privacy_portal.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.baseline"]
ROOT_URLCONF = "bench.baseline.minimum_urls"
