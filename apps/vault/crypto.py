"""AES-256-GCM sealing (pyca `cryptography`) and HMAC-SHA256 blind indexes.

A sealed value is: version byte (0x01) | 96-bit random nonce | ciphertext and 128-bit tag.
Associated data binds it to where it lives, so a value copied elsewhere fails to open.
"""

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = b"\x01"
NONCE_BYTES = 12
TAG_BYTES = 16
# A sealed value is this much longer than its plaintext: version byte, nonce, GCM tag.
SEALED_OVERHEAD = len(VERSION) + NONCE_BYTES + TAG_BYTES


class DecryptionError(Exception):
    """A value did not authenticate: wrong key, wrong place, or tampered. Carries no data."""


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    if len(sealed) < SEALED_OVERHEAD or sealed[:1] != VERSION:
        raise DecryptionError("not a sealed value of a known version")
    try:
        return AESGCM(key).decrypt(sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :], aad)
    except InvalidTag:
        raise DecryptionError(
            "the value does not authenticate for this place (moved, tampered or wrong key)"
        ) from None


def blind_index(key: bytes, kind: str, normalised: str) -> str:
    """Hex HMAC-SHA256 of a normalised value; the kind keeps emails and phones apart."""
    return hmac.new(key, f"{kind}:{normalised}".encode(), hashlib.sha256).hexdigest()
