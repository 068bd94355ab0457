from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from .services import audit_key


@register()
def check_audit_key(app_configs, **kwargs) -> list[Error]:
    if settings.DEBUG and not settings.AUDIT_KEY:
        return []
    try:
        audit_key()
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="Generate one with: "
                      "python -c \"import os,base64;print(base64.b64encode(os.urandom(32)).decode())\"",
                      id="audit.E001")]
    return []
