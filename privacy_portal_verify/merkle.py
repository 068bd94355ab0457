"""RFC 9162 (Certificate Transparency v2) Merkle tree hashing and proofs, section 2.1.

A leaf's hash is SHA-256(0x00 || data); an interior node's is SHA-256(0x01 || left || right); the
tree over n leaves splits at the largest power of two smaller than n. Checked against the RFC 6962
reference vectors in tests/vault/test_transparency.py.
"""

import hashlib
from collections.abc import Callable, Sequence

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


# A function giving MTH(D[start:end]) of the tree being proved; `root_of` builds one over a list.
Subtree = Callable[[int, int], bytes]


def root_of(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes held in memory."""
    return subtree_over(leaves)(0, len(leaves))


def subtree_over(leaves: Sequence[bytes]) -> Subtree:
    def mth(start: int, end: int) -> bytes:
        n = end - start
        if n == 0:
            return EMPTY_ROOT
        if n == 1:
            return leaves[start]
        k = split(n)
        return node_hash(mth(start, start + k), mth(start + k, end))

    return mth


def inclusion_proof(mth: Subtree, index: int, size: int) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162 2.1.3.1, built from subtree hashes."""

    def path(m: int, start: int, end: int) -> list[bytes]:
        n = end - start
        if n == 1:
            return []
        k = split(n)
        if m < k:
            return [*path(m, start, start + k), mth(start + k, end)]
        return [*path(m - k, start + k, end), mth(start, start + k)]

    if not 0 <= index < size:
        raise ValueError("the leaf is not in a tree of that size")
    return path(index, 0, size)


def consistency_proof(mth: Subtree, first: int, second: int) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 9162 2.1.4.1."""

    def subproof(m: int, start: int, end: int, complete: bool) -> list[bytes]:
        n = end - start
        if m == n:
            return [] if complete else [mth(start, end)]
        k = split(n)
        if m <= k:
            return [*subproof(m, start, start + k, complete), mth(start + k, end)]
        return [*subproof(m - k, start + k, end, False), mth(start, start + k)]

    if not 0 < first <= second:
        raise ValueError("a consistency proof needs 0 < first <= second")
    return [] if first == second else subproof(first, 0, second, True)


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 2.1.3.2."""
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first: int, second: int, proof: Sequence[bytes], first_root: bytes,
                       second_root: bytes) -> bool:
    """RFC 9162 2.1.4.2."""
    if first == second:
        return not proof and first_root == second_root
    if not 0 < first < second or not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the first root is the proof's implicit start
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and fr == first_root and sr == second_root
