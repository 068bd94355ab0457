"""Bench: what signing certificates and appending them to the public log add to erasure, and proof sizes.

1. N people are erased in this process in batches of 200 (subjects_erase, as a worker does), twice:
   with the certificates signed and logged (the product) and with signing and logging switched off for
   the run (the baseline). Printed: the time per certificate of each, and what signing and logging add.
2. The log of those certificates answers an inclusion proof and a consistency proof: rows read, bytes.
3. Proof sizes at 10^4 and 10^6 leaves, over an in-memory tree (RFC 9162 hashing): log2 growth.

  DEBUG=1 DATABASE_URL=postgres://postgres@127.0.0.1:5432/pp_bench REDIS_URL=redis://127.0.0.1:6379/9 \\
      .venv/bin/python bench/proofs.py [--people 10000]
"""

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import _common

BATCH = 200


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=10000, help="people erased in each of the two runs")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pp-bench-proofs-"))
    _common.django_setup(media_root=str(tmp))

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from apps.audit.services import Actor
    from apps.subjects import services
    from apps.subjects.services import erasure
    from apps.vault import transparency
    from apps.vault.models import DeletionCertificate, LogLeaf
    from apps.vault.services import key_scope
    from privacy_portal_verify import merkle

    actor = Actor.system("bench/proofs.py")
    _common.truncate_app_tables()
    try:
        def people(n: int, offset: int) -> list:
            with key_scope():
                return [services.subject_create(actor=actor, full_name=f"Achieng Otieno {offset + i}",
                                                email=f"achieng{offset + i}@example.org").pk for i in range(n)]

        def erase(subject_ids: list) -> float:
            jobs = [(j.pk, j.subject_id, j.reason) for j in services.erasures_request(
                subject_ids=subject_ids, reason="retention", actor=actor)]
            started = time.perf_counter()
            for start in range(0, len(jobs), BATCH):
                services.subjects_erase(jobs=jobs[start:start + BATCH])
            return time.perf_counter() - started

        n = args.people
        print(f"creating {2 * n} people; {_common.machine()}", flush=True)
        signed_people, plain_people = people(n, 0), people(n, n)

        # Baseline: the same erasure with signing and logging switched off for this run only.
        real_sign, real_append = erasure.certificates_sign, erasure.leaves_append
        erasure.certificates_sign = lambda certificates: None
        erasure.leaves_append = lambda certificates: None
        try:
            plain_s = erase(plain_people)
        finally:
            erasure.certificates_sign, erasure.leaves_append = real_sign, real_append
        signed_s = erase(signed_people)
        assert LogLeaf.objects.count() == n == DeletionCertificate.objects.exclude(signed="").count()

        # Where signing and logging spend it, measured alone on the same certificates.
        certificates = list(DeletionCertificate.objects.exclude(signed="")[:2000])
        started = time.perf_counter()
        transparency.certificates_sign(certificates)
        sign_each = (time.perf_counter() - started) / len(certificates)

        head = transparency.tree_head_publish()
        leaf = LogLeaf.objects.order_by("index")[n // 3]
        with CaptureQueriesContext(connection) as queries:
            proof = transparency.inclusion_proof(leaf_hash=leaf.leaf_hash, size=head.size)
        consistency = transparency.consistency_proof(first=n // 3 + 1, second=head.size)
        started = time.perf_counter()
        report = transparency.log_verify()
        verify_s = time.perf_counter() - started

        print(f"\nerasure of {n} people in batches of {BATCH}, in one process, PostgreSQL")
        print(f"  certificates signed and logged      {signed_s / n * 1000:7.3f} ms per person ({signed_s:.1f}s)")
        print(f"  baseline: not signed, not logged    {plain_s / n * 1000:7.3f} ms per person ({plain_s:.1f}s)")
        print(f"  added by signing and logging        {(signed_s - plain_s) / n * 1000:7.3f} ms per certificate "
              f"({(signed_s - plain_s) / plain_s * 100:+.1f}% of the erasure); Ed25519 JWS alone "
              f"{sign_each * 1000:.3f} ms")
        print(f"\nthe log of {head.size} certificates")
        print(f"  inclusion proof                     {len(proof['proof'])} hashes, {32 * len(proof['proof'])} bytes, "
              f"{len(queries)} queries")
        print(f"  consistency proof {n // 3 + 1}->{head.size}       {len(consistency['proof'])} hashes")
        print(f"  verify_transparency_log             ok={report.ok} in {verify_s:.1f}s")

        print("\nproof sizes, in-memory tree (RFC 9162)")
        for size in (10**4, 10**6):
            leaves = [merkle.leaf_hash(os.urandom(16)) for _ in range(size)]
            mth = merkle.subtree_over(leaves)
            started = time.perf_counter()
            inclusion = merkle.inclusion_proof(mth, size // 3, size)
            took = time.perf_counter() - started
            assert merkle.verify_inclusion(leaves[size // 3], size // 3, size, inclusion, mth(0, size))
            consistent = merkle.consistency_proof(mth, size // 3 + 1, size)
            print(f"  {size:>9} leaves  inclusion {len(inclusion):>2} hashes ({32 * len(inclusion)} bytes), "
                  f"consistency {len(consistent):>2} hashes; log2(n) = {size.bit_length() - 1}; "
                  f"built from every leaf in {took:.1f}s (the service reads stored subtrees instead)")
    finally:
        _common.truncate_app_tables()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
