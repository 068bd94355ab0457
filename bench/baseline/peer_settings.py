"""A typical peer's settings (bench/intake.py --peer): the product's own settings and middleware, with the bench
app, each request in one transaction (ATOMIC_REQUESTS), and a URLconf where POST /apply/ is views.peer."""

from privacy_portal.settings import *  # noqa: F403
from privacy_portal.settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.baseline"]
ROOT_URLCONF = "bench.baseline.peer_urls"
DATABASES["default"]["ATOMIC_REQUESTS"] = True
