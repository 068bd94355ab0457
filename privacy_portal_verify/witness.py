"""A witness of Privacy Portal's public log of deletion certificates, run by someone other than the operator.

    python -m privacy_portal_verify.witness https://portal.example --heads heads.jsonl [--keys keys.json]
                                            [--every SECONDS]

Each run fetches the latest signed tree head (/transparency/heads/latest), checks its signature against the
published keys (or the keys file you pinned), and asks the site for a consistency proof from every head this
witness saw before (kept in --heads, one JSON object a line) to the new one: the log may only grow. The new
head is then appended to the file. A fork (a head of the same size with another root, or a proof that does
not verify), a rollback (the log is smaller than a head already seen) or a bad signature stops the witness
with a non-zero exit and a line saying why: the certificate-transparency monitor pattern. Give the same file
to `manage.py verify_transparency_log --witness FILE` to check the operator's own database against it.

Exit status: 0 the log is consistent with everything seen; 1 tampering found (fork, rollback, bad signature);
2 the site could not be read or answered something that is not a head (try again later).
Standard library and pyca `cryptography` only; no Django.
"""

import argparse
import json
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from . import merkle
from .jws import ProofInvalid, verify

TAMPERED, UNREACHABLE = 1, 2


class Tampered(Exception):
    """The log forked, rolled back, or its head is not signed by a published key."""


class Unreachable(Exception):
    """The site did not answer, or answered something that is not what was asked for."""


@dataclass(frozen=True)
class Head:
    size: int
    root_hash: str
    published_at: str = ""
    signed: str = ""

    def line(self) -> str:
        return json.dumps({"size": self.size, "root_hash": self.root_hash, "published_at": self.published_at,
                           "signed": self.signed}, sort_keys=True)


def _get(url: str, timeout: float, *, refusal_is_tampering: bool = False) -> dict:
    """The JSON at url. A refusal (4xx) of a proof the log owes is tampering; anything else is unreachable."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (the site given, http(s))
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        if refusal_is_tampering and 400 <= exc.code < 500:
            raise Tampered(f"{url} refused ({exc.code}): the log cannot prove it extends a head it signed") from exc
        raise Unreachable(f"{url}: {exc}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise Unreachable(f"{url}: {exc}") from exc


class Site:
    def __init__(self, base: str, *, timeout: float = 20.0, keys: dict | None = None) -> None:
        if urllib.parse.urlsplit(base).scheme not in {"http", "https"}:
            raise ValueError("the site must be an http(s) URL")
        self.base, self.timeout, self.pinned = base.rstrip("/"), timeout, keys

    def keys(self) -> dict:
        return self.pinned if self.pinned is not None else _get(
            f"{self.base}/.well-known/privacy-proofs/keys.json", self.timeout)

    def latest(self) -> Head:
        body = _get(f"{self.base}/transparency/heads/latest", self.timeout)
        try:
            return Head(int(body["size"]), str(body["root_hash"]), str(body.get("published_at", "")),
                        str(body["signed"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise Unreachable(f"the latest head is not a tree head: {exc}") from exc

    def consistency(self, first: int, second: int) -> list[bytes]:
        body = _get(f"{self.base}/transparency/proof/consistency?first={first}&second={second}", self.timeout,
                    refusal_is_tampering=True)
        try:
            return [bytes.fromhex(h) for h in body["proof"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise Tampered(f"no consistency proof from head {first} to head {second}: {body}") from exc


def head_check(head: Head, keys: dict) -> None:
    """The head is signed by a published key and says what its JSON says."""
    try:
        _, payload = verify(head.signed, keys)
    except ProofInvalid as exc:
        raise Tampered(f"bad signature on tree head {head.size}: {exc}") from exc
    if payload.get("type") != "tree-head" or payload.get("size") != head.size \
            or payload.get("root_hash") != head.root_hash:
        raise Tampered(f"tree head {head.size} differs from what was signed")


def heads_read(path: Path) -> list[Head]:
    if not path.exists():
        return []
    heads = []
    for line in path.read_text().splitlines():
        if line.strip():
            body = json.loads(line)
            heads.append(Head(int(body["size"]), str(body["root_hash"]), str(body.get("published_at", "")),
                              str(body.get("signed", ""))))
    return heads


def consistent_with_seen(site: Site, seen: list[Head], new: Head) -> None:
    """The new head extends every head seen before: proved once per distinct size."""
    by_size: dict[int, Head] = {}
    for old in seen:
        if old.size in by_size and by_size[old.size].root_hash != old.root_hash:
            raise Tampered(f"fork: two heads of size {old.size} with different roots were seen")
        by_size[old.size] = old
    for size, old in sorted(by_size.items()):
        if size > new.size:
            raise Tampered(f"rollback: the log has {new.size} leaves, but a head of size {size} was seen before")
        if size == new.size:
            if old.root_hash != new.root_hash:
                raise Tampered(f"fork: head {size} now has root {new.root_hash}, {old.root_hash} was seen before")
            continue
        proof = site.consistency(size, new.size)
        if not merkle.verify_consistency(size, new.size, proof, bytes.fromhex(old.root_hash),
                                         bytes.fromhex(new.root_hash)):
            raise Tampered(f"fork: head {new.size} is not an extension of head {size} seen before")


def witness_once(site: Site, heads: Path) -> Head:
    """One poll: check the latest head and keep it. Raises Tampered or Unreachable."""
    seen = heads_read(heads)
    new = site.latest()
    head_check(new, site.keys())
    consistent_with_seen(site, seen, new)
    if not any(old.size == new.size for old in seen):
        with heads.open("a") as out:
            out.write(new.line() + "\n")
    return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m privacy_portal_verify.witness", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("site", help="the portal's address, e.g. https://portal.example")
    parser.add_argument("--heads", type=Path, required=True, help="the file of heads this witness saw (JSON lines)")
    parser.add_argument("--keys", type=Path, help="a pinned copy of /.well-known/privacy-proofs/keys.json")
    parser.add_argument("--every", type=float, default=0, help="poll every SECONDS until stopped (default: once)")
    parser.add_argument("--timeout", type=float, default=20.0)
    args = parser.parse_args(argv)
    site = Site(args.site, timeout=args.timeout, keys=json.loads(args.keys.read_text()) if args.keys else None)
    while True:
        try:
            head = witness_once(site, args.heads)
        except (KeyError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
            print(f"UNREADABLE: {args.heads} is not a witness's heads file: {exc}", file=sys.stderr)
            return UNREACHABLE
        except Tampered as exc:
            print(f"TAMPERED: {exc}", file=sys.stderr)
            return TAMPERED
        except Unreachable as exc:
            print(f"UNREACHABLE: {exc}", file=sys.stderr)
            if not args.every:
                return UNREACHABLE
        else:
            print(f"OK: tree head {head.size} ({head.root_hash}) is signed and consistent with every head seen")
        if not args.every:
            return 0
        time.sleep(args.every)


if __name__ == "__main__":
    sys.exit(main())
