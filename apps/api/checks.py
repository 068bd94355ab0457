"""Fail closed: the API refuses to start without its limits configured sensibly."""

from django.conf import settings
from django.core import checks


@checks.register()
def api_settings(app_configs, **kwargs) -> list[checks.CheckMessage]:
    errors = []
    if settings.API_MAX_BODY_BYTES > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
        errors.append(checks.Error("API_MAX_BODY_BYTES is larger than DATA_UPLOAD_MAX_MEMORY_SIZE.",
                                   hint="Lower API_MAX_BODY_BYTES.", id="api.E001"))
    if "ninja" not in settings.INSTALLED_APPS:
        errors.append(checks.Error("'ninja' is not in INSTALLED_APPS: the API docs page would load Swagger UI "
                                   "from a CDN, which the CSP blocks.", id="api.E002"))
    return errors
