from django.conf import settings
from django.core.checks import Error, register
from django.core.exceptions import ImproperlyConfigured

from .keyring import parse_keyring
from .proofs import parse_signing_keys


@register()
def check_keyring(app_configs, **kwargs) -> list[Error]:
    try:
        parse_keyring(settings.PII_MASTER_KEYS, settings.PII_INDEX_KEY)
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="See README 'Keys'. Generate one with: "
                      "python -c \"import os,base64;print(base64.b64encode(os.urandom(32)).decode())\"",
                      id="vault.E001")]
    return []


@register()
def check_proof_keys(app_configs, **kwargs) -> list[Error]:
    """Fail closed: without a signing key no certificate or receipt could be signed."""
    try:
        parse_signing_keys(settings.PROOF_SIGNING_KEYS)
    except ImproperlyConfigured as exc:
        return [Error(str(exc), hint="Set PROOF_SIGNING_KEYS (or PROOF_SIGNING_KEYS_FILE) to 'key1:' followed by "
                      "python -c \"import os,base64;print(base64.b64encode(os.urandom(32)).decode())\"",
                      id="vault.E002")]
    return []
