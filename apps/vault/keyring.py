"""The master-key ring (KEKs) and the blind-index key, parsed from settings.

PII_MASTER_KEYS = "keyid:base64(32 bytes),older-id:base64(32 bytes)" — newest first. The first
wraps new data keys; every key on the ring can unwrap.
"""

import base64
import binascii
import functools
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


@dataclass(frozen=True)
class Keyring:
    master_keys: dict[str, bytes]  # insertion order: newest first
    current_id: str
    index_key: bytes

    def master(self, key_id: str) -> bytes:
        try:
            return self.master_keys[key_id]
        except KeyError:
            raise ImproperlyConfigured(
                f"Master key {key_id!r} is not in PII_MASTER_KEYS; run rotate_master_key before removing a key."
            ) from None


def _decode_key(text: str, what: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ImproperlyConfigured(f"{what} is not valid base64.") from None
    if len(key) != 32:
        raise ImproperlyConfigured(f"{what} must decode to 32 bytes, not {len(key)}.")
    return key


def parse_keyring(master_keys: str, index_key: str) -> Keyring:
    """Parse and validate the settings; the messages name what to fix, never a key."""
    if not master_keys or not master_keys.strip():
        raise ImproperlyConfigured("PII_MASTER_KEYS is not set: give 'keyid:base64-32-bytes', newest first.")
    if not index_key or not index_key.strip():
        raise ImproperlyConfigured("PII_INDEX_KEY is not set: give base64 of 32 random bytes.")
    keys: dict[str, bytes] = {}
    for position, entry in enumerate(master_keys.split(","), start=1):
        key_id, sep, encoded = entry.strip().partition(":")
        if not sep or not KEY_ID_RE.match(key_id):
            raise ImproperlyConfigured(
                f"PII_MASTER_KEYS entry {position} must be 'keyid:base64' with a key id of letters, digits, _.-"
            )
        if key_id in keys:
            raise ImproperlyConfigured(f"PII_MASTER_KEYS names key id {key_id!r} twice.")
        keys[key_id] = _decode_key(encoded, f"PII_MASTER_KEYS key {key_id!r}")
    index = _decode_key(index_key, "PII_INDEX_KEY")
    if index in keys.values():
        raise ImproperlyConfigured("PII_INDEX_KEY must differ from every master key.")
    return Keyring(master_keys=keys, current_id=next(iter(keys)), index_key=index)


@functools.cache
def _cached(master_keys: str, index_key: str) -> Keyring:
    return parse_keyring(master_keys, index_key)


def get_keyring() -> Keyring:
    # Keyed on the setting values so that tests overriding the settings get the matching ring.
    return _cached(settings.PII_MASTER_KEYS, settings.PII_INDEX_KEY)
