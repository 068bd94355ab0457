"""Proofs a person can keep and check without trusting us: consent receipts, deletion certificates and the
public log's tree heads, each signed as a JWS compact serialisation (RFC 7515) with Ed25519 (RFC 8037; the
algorithm named "Ed25519" as RFC 9864 asks, rather than the deprecated "EdDSA").

Keys come from PROOF_SIGNING_KEYS ("kid:base64(32-byte Ed25519 seed)", comma-separated, newest first): the
newest signs, and every key's public half is published at /.well-known/privacy-proofs/keys.json, so a
proof signed before a rotation still verifies. Verification is the stand-alone verifier's own code
(privacy_portal_verify), so this site and a person's offline check give the same answer.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from joserfc import jws
from joserfc.jwk import OKPKey

from privacy_portal_verify.jws import ProofInvalid
from privacy_portal_verify.jws import verify as jws_verify

ALG = "Ed25519"

__all__ = ["ProofInvalid", "proof_sign", "proof_verify", "public_keys"]


@dataclass(frozen=True)
class SigningKey:
    kid: str
    key: OKPKey


@lru_cache(maxsize=4)
def parse_signing_keys(value: str) -> tuple[SigningKey, ...]:
    keys = []
    for item in [part.strip() for part in value.split(",") if part.strip()]:
        kid, _, encoded = item.partition(":")
        try:
            seed = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            seed = b""
        if not kid or len(seed) != 32:
            raise ImproperlyConfigured(
                "PROOF_SIGNING_KEYS must be 'keyid:base64(32 random bytes)', comma-separated, newest first.")
        private = Ed25519PrivateKey.from_private_bytes(seed)
        keys.append(SigningKey(kid, OKPKey.import_key(private, parameters={"kid": kid})))
    if not keys:
        raise ImproperlyConfigured("PROOF_SIGNING_KEYS is not set: receipts and certificates cannot be signed.")
    if len({k.kid for k in keys}) != len(keys):
        raise ImproperlyConfigured("PROOF_SIGNING_KEYS has the same key id twice.")
    return tuple(keys)


def _keys() -> tuple[SigningKey, ...]:
    return parse_signing_keys(settings.PROOF_SIGNING_KEYS)


def canonical(payload: dict) -> bytes:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def proof_sign(payload: dict) -> str:
    """Sign with the newest key. Ed25519 is deterministic: the same payload gives the same proof."""
    newest = _keys()[0]
    return jws.serialize_compact({"alg": ALG, "kid": newest.kid, "typ": "privacy-proof+jws"}, canonical(payload),
                                 newest.key, algorithms=[ALG])


def public_keys() -> dict:
    """The JWK set every proof verifies against, old keys included."""
    return {"keys": [{**k.key.as_dict(private=False), "kid": k.kid, "use": "sig", "alg": ALG} for k in _keys()]}


def proof_verify(token: str) -> dict:
    """The payload of a proof signed by one of our published keys; ProofInvalid otherwise."""
    return jws_verify(token, public_keys())[1]


def registrations() -> dict:
    """The ODPC registration numbers (Data Protection Act 2019, s.18) a signed receipt or certificate names: the
    controller's always (production refuses to start without it), the processor's where we hold one."""
    return {"registration": settings.CONTROLLER_REGISTRATION,
            **({"processor_registration": settings.PROCESSOR_REGISTRATION} if settings.PROCESSOR_REGISTRATION else {})}
