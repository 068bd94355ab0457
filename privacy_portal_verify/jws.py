"""Verify a JWS compact serialisation signed with Ed25519 (RFC 7515, RFC 8037, RFC 9864) against a JWK set."""

import base64
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ALGORITHMS = {"Ed25519", "EdDSA"}


class ProofInvalid(ValueError):
    """The proof is malformed, signed by an unknown key, or its signature does not match."""


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _strict_b64decode(text: str) -> bytes:
    """Only the one canonical spelling: unused low bits set would give a second valid copy of a proof."""
    raw = b64decode(text)
    if base64.urlsafe_b64encode(raw).decode().rstrip("=") != text:
        raise ValueError("not canonical base64url")
    return raw


def verify(token: str, jwks: dict) -> tuple[dict, dict]:
    """Return (header, payload) if `token` is signed by one of the Ed25519 keys in `jwks`."""
    try:
        header_b64, payload_b64, signature_b64 = token.strip().split(".")
        header = json.loads(_strict_b64decode(header_b64))
        payload = json.loads(_strict_b64decode(payload_b64))
        signature = _strict_b64decode(signature_b64)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ProofInvalid("not a JWS compact serialisation") from exc
    if not isinstance(header, dict) or not isinstance(payload, dict):
        raise ProofInvalid("not a JWS of a JSON object")
    if "crit" in header:  # we never mark extensions critical: one we do not know could change the meaning
        raise ProofInvalid("unknown critical header parameters")
    if header.get("alg") not in ALGORITHMS:
        raise ProofInvalid(f"unexpected algorithm {header.get('alg')!r}")
    keys = [k for k in jwks.get("keys", []) if k.get("kid") == header.get("kid") and k.get("crv") == "Ed25519"]
    if not keys:
        raise ProofInvalid(f"no published key {header.get('kid')!r}")
    public = Ed25519PublicKey.from_public_bytes(b64decode(keys[0]["x"]))
    try:
        public.verify(signature, f"{header_b64}.{payload_b64}".encode())
    except InvalidSignature as exc:
        raise ProofInvalid("the signature does not match: the proof was changed or not signed by this key") from exc
    return header, payload


def signed_of(text: str) -> str:
    """The JWS to check: a tree head saved as /transparency/heads/latest answers it (JSON) is checked by its
    `signed` field; anything else is taken as it is."""
    if text.startswith("{"):
        try:
            signed = json.loads(text).get("signed")
        except (ValueError, AttributeError, RecursionError):
            return text
        return signed.strip() if isinstance(signed, str) else text
    return text
