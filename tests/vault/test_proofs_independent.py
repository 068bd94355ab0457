"""Receipts, certificates and tree heads verify with tools that are not ours: jwcrypto, PyJWT, the raw Ed25519 key
with pyca cryptography, OpenSSL and Node.js (outside Python). And checks that would fail if a check of the
offline verifier were dropped: a consistency proof whose *first* root is wrong, a proof under a key id the key
set lacks (never tried against another key)."""

import base64
import itertools
import json
import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc import jws as joserfc_jws

from apps.consent.receipts import receipt_sign
from apps.vault import transparency
from apps.vault.proofs import ProofInvalid, _keys, proof_verify, public_keys
from privacy_portal_verify import merkle
from privacy_portal_verify.jws import b64decode, verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def proofs(receipt, certificate) -> dict[str, str]:  # noqa: F811 (the fixtures imported above)
    head = transparency.tree_head_publish()
    return {"receipt": receipt_sign(receipt), "certificate": certificate.signed, "tree head": head.signed}


def _raw_key(token: str) -> Ed25519PublicKey:
    kid = json.loads(b64decode(token.split(".")[0]))["kid"]
    (jwk,) = [k for k in public_keys()["keys"] if k["kid"] == kid]
    return Ed25519PublicKey.from_public_bytes(b64decode(jwk["x"]))


def test_every_kind_of_proof_verifies_with_jwcrypto(proofs):
    jwcrypto_jwk = pytest.importorskip("jwcrypto.jwk")
    jwcrypto_jws = pytest.importorskip("jwcrypto.jws")
    keyset = jwcrypto_jwk.JWKSet.from_json(json.dumps(public_keys()))
    for kind, token in proofs.items():
        parsed = jwcrypto_jws.JWS()
        parsed.deserialize(token)
        parsed.allowed_algs = ["Ed25519"]
        parsed.verify(keyset)  # raises if the signature does not match
        assert json.loads(parsed.payload) == proof_verify(token), kind


def test_every_kind_of_proof_verifies_with_pyjwt_once_it_is_told_the_rfc_9864_name(proofs):
    """PyJWT knows Ed25519 only as "EdDSA": registering its OKP algorithm under "Ed25519" is all it takes, so
    no second form of the proof (a JWS JSON serialisation with an EdDSA signature too) is needed."""
    pyjwt = pytest.importorskip("jwt")
    from jwt.algorithms import OKPAlgorithm  # pyjwt is optional: imported only once it is known to be there

    verifier = pyjwt.PyJWS()
    verifier.register_algorithm("Ed25519", OKPAlgorithm())
    for kind, token in proofs.items():
        kid = json.loads(b64decode(token.split(".")[0]))["kid"]
        (jwk,) = [k for k in public_keys()["keys"] if k["kid"] == kid]
        key = OKPAlgorithm.from_jwk(json.dumps(jwk))
        assert json.loads(verifier.decode(token, key, algorithms=["Ed25519"])) == proof_verify(token), kind


def test_every_kind_of_proof_verifies_by_hand_with_the_raw_public_key(proofs):
    for token in proofs.values():
        header, payload, signature = token.split(".")
        _raw_key(token).verify(b64decode(signature), f"{header}.{payload}".encode())  # raises if it does not match
        assert json.loads(b64decode(header))["alg"] == "Ed25519"


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl is not installed")
def test_every_kind_of_proof_verifies_with_openssl(proofs, tmp_path):
    for kind, token in proofs.items():
        header, payload, signature = token.split(".")
        (tmp_path / "key.pem").write_bytes(_raw_key(token).public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
        (tmp_path / "signed.txt").write_text(f"{header}.{payload}")
        (tmp_path / "signature.bin").write_bytes(b64decode(signature))
        command = ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "key.pem", "-rawin", "-in", "signed.txt",
                   "-sigfile", "signature.bin"]
        ok = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
        assert ok.returncode == 0 and "Signature Verified Successfully" in ok.stdout, (kind, ok.stderr)
        (tmp_path / "signed.txt").write_text(f"{header}.{payload}x")
        assert subprocess.run(command, cwd=tmp_path, capture_output=True, check=False).returncode != 0


@pytest.mark.skipif(not shutil.which("node"), reason="Node.js is not installed")
def test_every_kind_of_proof_verifies_with_node(proofs, tmp_path):
    script = """
const crypto = require('crypto');
const [token, keys] = [process.argv[1], JSON.parse(process.argv[2])];
const [h, p, s] = token.split('.');
const kid = JSON.parse(Buffer.from(h, 'base64url')).kid;
const jwk = keys.keys.find(k => k.kid === kid);
const key = crypto.createPublicKey({key: {kty: jwk.kty, crv: jwk.crv, x: jwk.x}, format: 'jwk'});
process.stdout.write(String(crypto.verify(null, Buffer.from(h + '.' + p), key, Buffer.from(s, 'base64url'))));
"""
    keys = json.dumps(public_keys())
    for kind, token in proofs.items():
        ok = subprocess.run(["node", "-e", script, token, keys], capture_output=True, text=True, check=False)
        assert ok.stdout == "true", (kind, ok.stderr)
        forged = token[:-2] + ("AA" if not token.endswith("AA") else "BA")
        assert subprocess.run(["node", "-e", script, forged, keys], capture_output=True, text=True,
                              check=False).stdout != "true"


def test_a_proof_under_a_key_id_the_key_set_lacks_is_refused_and_never_tried_with_another_key(proofs):
    newest = _keys()[0]
    payload = base64.urlsafe_b64decode(proofs["certificate"].split(".")[1] + "==")
    # Signed by the newest key itself, but naming a key id that is not published.
    token = joserfc_jws.serialize_compact({"alg": "Ed25519", "kid": "retired-2019", "typ": "privacy-proof+jws"},
                                          payload, newest.key, algorithms=["Ed25519"])
    _raw_key(proofs["certificate"]).verify(b64decode(token.split(".")[2]), token.rsplit(".", 1)[0].encode())
    with pytest.raises(ProofInvalid, match="no published key 'retired-2019'"):
        verify(token, public_keys())
    with pytest.raises(ProofInvalid, match="no published key"):
        proof_verify(token)


def test_a_consistency_proof_whose_first_root_is_wrong_is_refused():
    hashes = [merkle.leaf_hash(bytes([i, i * 5 % 256])) for i in range(33)]
    mth = merkle.subtree_over(hashes)
    for first, second in itertools.combinations(range(1, 34), 2):
        proof = merkle.consistency_proof(mth, first, second)
        assert merkle.verify_consistency(first, second, proof, mth(0, first), mth(0, second))
        for wrong in (mth(0, first - 1) if first > 1 else hashes[1], mth(1, first + 1), b"\x00" * 32):
            if wrong != mth(0, first):
                assert not merkle.verify_consistency(first, second, proof, wrong, mth(0, second)), (first, second)
