from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from .keyring import parse_keyring


@register()
def check_keyring(app_configs, **kwargs) -> list[Error]:
    try:
        parse_keyring(settings.PII_MASTER_KEYS, settings.PII_INDEX_KEY)
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="See README 'Keys'. Generate one with: "
                      "python -c \"import os,base64;print(base64.b64encode(os.urandom(32)).decode())\"",
                      id="vault.E001")]
    return []
