"""The audit key, read without Django's app registry (settings check it at start-up)."""

import base64
import binascii

from django.core.exceptions import ImproperlyConfigured


def decode_audit_key(value: str) -> bytes:
    """AUDIT_KEY decoded: base64 of at least 32 random bytes."""
    try:
        key = base64.b64decode(value or "", validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) < 32:
        raise ImproperlyConfigured(
            "AUDIT_KEY is missing or too short: set AUDIT_KEY (or AUDIT_KEY_FILE) to base64 of 32 random bytes, "
            "kept outside the database and its backups.")
    return key
