"""Check Privacy Portal's proofs without trusting the operator: signed consent receipts and deletion
certificates (JWS, Ed25519) and their inclusion in the public log of certificate hashes (RFC 9162
Merkle tree). Standard library and pyca `cryptography` only, so anyone can run it offline:

    python -m privacy_portal_verify certificate.jws --keys keys.json [--head head.json --proof proof.json]

and to witness the public log from elsewhere (privacy_portal_verify.witness: signature and consistency of
every new head with every head seen before; a fork, a rollback or a bad signature exits non-zero):

    python -m privacy_portal_verify.witness https://portal.example --heads heads.jsonl
"""
