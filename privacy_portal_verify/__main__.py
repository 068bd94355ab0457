"""python -m privacy_portal_verify FILE --keys keys.json [--head head.json --proof proof.json]"""

import argparse
import json
import sys
from pathlib import Path

from . import merkle
from .jws import ProofInvalid, signed_of, verify


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m privacy_portal_verify", description=__doc__)
    parser.add_argument("file", type=Path, help="a consent receipt, deletion certificate or audit anchor (.jws), or a "
                        "tree head (its JSON, or its signed field)")
    parser.add_argument("--keys", type=Path, required=True, help="/.well-known/privacy-proofs/keys.json")
    parser.add_argument("--head", type=Path, help="a signed tree head: /transparency/heads/latest")
    parser.add_argument("--proof", type=Path, help="its inclusion proof: /transparency/proof/inclusion?hash=…")
    args = parser.parse_args(argv)
    if bool(args.head) != bool(args.proof):
        given, missing = ("--head", "--proof") if args.head else ("--proof", "--head")
        parser.error(f"{given} needs {missing}: to check that the proof is in the public log, give the tree head "
                     "(/transparency/heads/latest) and its inclusion proof (/transparency/proof/inclusion?hash=…) "
                     "together; nothing was checked")
    keys = json.loads(args.keys.read_text())
    token = signed_of(args.file.read_text().strip())
    try:
        _, payload = verify(token, keys)
    except ProofInvalid as exc:
        print(f"NOT VALID: {exc}")
        return 1
    print(f"valid {payload.get('type', 'proof')}, signed by the published key")
    for name in sorted(payload):
        print(f"  {name}: {json.dumps(payload[name], ensure_ascii=False)}")
    if args.head and args.proof:
        head = json.loads(args.head.read_text())
        proof = json.loads(args.proof.read_text())
        try:
            _, signed_head = verify(head["signed"], keys)
        except (ProofInvalid, KeyError) as exc:
            print(f"NOT VALID: the tree head: {exc}")
            return 1
        included = merkle.verify_inclusion(
            merkle.leaf_hash(token.encode()), proof["leaf_index"], signed_head["size"],
            [bytes.fromhex(h) for h in proof["proof"]], bytes.fromhex(signed_head["root_hash"]))
        if proof.get("tree_size") != signed_head["size"] or not included:
            print(f"NOT INCLUDED in the public log's tree of size {signed_head['size']}")
            return 1
        print(f"included in the public log at position {proof['leaf_index']} of {signed_head['size']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
