"""The public log of deletion certificates: RFC 9162 hashing, proofs, heads, and tampering detected."""

import itertools
import uuid

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from apps.vault import transparency
from apps.vault.models import DeletionCertificate, LogLeaf, TreeHead
from apps.vault.routers import vault_db
from privacy_portal_verify import merkle
from tests.vault.helpers import as_superuser, certificate_pk, erase_people

# RFC 6962 / 9162 reference inputs and the roots of the trees over their first n leaves.
LEAVES = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f"]]
ROOTS = ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
INCLUSION = [(0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                     "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                     "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
             (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                     "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                     "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"])]


def test_the_hashing_matches_the_rfc_reference_roots():
    hashes = [merkle.leaf_hash(leaf) for leaf in LEAVES]
    assert [merkle.root_of(hashes[:n]).hex() for n in range(9)] == ROOTS


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION)
def test_inclusion_proofs_match_the_rfc_reference_paths(index, size, expected):
    hashes = [merkle.leaf_hash(leaf) for leaf in LEAVES]
    proof = merkle.inclusion_proof(merkle.subtree_over(hashes), index, size)
    assert [p.hex() for p in proof] == expected
    assert merkle.verify_inclusion(hashes[index], index, size, proof, bytes.fromhex(ROOTS[size]))


def test_every_proof_verifies_in_every_tree_size_and_a_changed_one_does_not():
    hashes = [merkle.leaf_hash(bytes([i, i * 7 % 256])) for i in range(37)]
    mth = merkle.subtree_over(hashes)
    for size in range(1, 38):
        root = mth(0, size)
        for index in range(size):
            proof = merkle.inclusion_proof(mth, index, size)
            assert merkle.verify_inclusion(hashes[index], index, size, proof, root)
            assert not merkle.verify_inclusion(hashes[(index + 1) % 37], index, size, proof, root) or size == 1
    for first, second in itertools.combinations(range(1, 38), 2):
        proof = merkle.consistency_proof(mth, first, second)
        assert merkle.verify_consistency(first, second, proof, mth(0, first), mth(0, second))
        assert not merkle.verify_consistency(first, second, proof, mth(0, first), hashes[0])


@pytest.mark.django_db
def test_every_certificate_is_signed_logged_and_provably_included_after_many_erasures():
    certificates = erase_people(120) + erase_people(37)
    head = transparency.tree_head_publish()
    assert head.size == 157 == LogLeaf.objects.count()
    root = bytes.fromhex(head.root_hash)
    for certificate in DeletionCertificate.objects.all():
        leaf = merkle.leaf_hash(certificate.signed.encode())
        proof = transparency.inclusion_proof(leaf_hash=leaf.hex(), size=head.size)
        assert merkle.verify_inclusion(leaf, proof["leaf_index"], head.size,
                                       [bytes.fromhex(p) for p in proof["proof"]], root)
    assert len(certificates) == 157
    call_command("verify_transparency_log")


def _certify(n: int) -> list[DeletionCertificate]:
    """n certificates signed, stored and appended exactly as an erasure batch does (without the erasure)."""
    now = timezone.now()
    certificates = [DeletionCertificate(id=uuid.uuid4(), subject_id=uuid.uuid4(), reason="retention",
                                        categories=["identity"], counts={"subjects.PersonalRecord": 1},
                                        key_destroyed_at=now, completed_at=now) for _ in range(n)]
    with transaction.atomic(using=vault_db()):
        transparency.certificates_sign(certificates)
        DeletionCertificate.objects.using(vault_db()).bulk_create(certificates)
        transparency.leaves_append(certificates=certificates)
    return certificates


@pytest.mark.django_db
def test_every_one_of_a_thousand_certificates_is_provably_included_in_the_latest_head(
        django_assert_max_num_queries):
    heads = []
    for batch in [1, 2, 5, 200, 255, 300, 237]:  # appends that start and end at every kind of tree edge
        _certify(batch)
        heads.append(transparency.tree_head_publish())
    assert heads[-1].size == 1000 == LogLeaf.objects.count()
    latest = heads[-1]
    for index, leaf_hash in LogLeaf.objects.order_by("index").values_list("index", "leaf_hash"):
        proof = transparency.inclusion_proof(leaf_hash=leaf_hash, size=latest.size)
        assert proof["leaf_index"] == index
        assert merkle.verify_inclusion(bytes.fromhex(leaf_hash), index, latest.size,
                                       [bytes.fromhex(p) for p in proof["proof"]], bytes.fromhex(latest.root_hash))
    for first, second in itertools.pairwise(heads):
        proof = transparency.consistency_proof(first=first.size, second=second.size)
        assert merkle.verify_consistency(first.size, second.size, [bytes.fromhex(p) for p in proof["proof"]],
                                         bytes.fromhex(first.root_hash), bytes.fromhex(second.root_hash))
    # The leaf, the log's size, then the path's leaves and nodes: four queries whatever the log's size.
    with django_assert_max_num_queries(4):
        transparency.inclusion_proof(leaf_hash=leaf_hash, size=latest.size)
    call_command("verify_transparency_log")


@pytest.mark.django_db
def test_every_pair_of_published_heads_is_consistent():
    heads = []
    for n in [1, 2, 5, 8, 3]:
        erase_people(n)
        heads.append(transparency.tree_head_publish())
    assert transparency.tree_head_publish() is None  # nothing new: no new head
    for first, second in itertools.combinations(heads, 2):
        proof = transparency.consistency_proof(first=first.size, second=second.size)
        assert merkle.verify_consistency(first.size, second.size, [bytes.fromhex(p) for p in proof["proof"]],
                                         bytes.fromhex(first.root_hash), bytes.fromhex(second.root_hash))


@pytest.mark.django_db
def test_the_log_refuses_changes_through_the_application_and_the_database():
    erase_people(2)
    transparency.tree_head_publish()
    with pytest.raises(PermissionError):
        LogLeaf.objects.update(leaf_hash="0" * 64)
    with pytest.raises(PermissionError):
        LogLeaf.objects.first().delete()
    if connection.vendor == "postgresql":
        for statement in ['UPDATE vault_logleaf SET leaf_hash = %s WHERE "index" = 0', "DELETE FROM vault_treehead"]:
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as c:
                c.execute(statement, ["ab" * 32] if "%s" in statement else None)
    call_command("verify_transparency_log")


@pytest.mark.django_db
@pytest.mark.parametrize("tamper", ["leaf", "certificate"])
def test_tampering_as_a_database_superuser_is_detected(tamper):
    erase_people(6)
    transparency.tree_head_publish()
    call_command("verify_transparency_log")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # as a superuser would: past the append-only rules
            cursor.execute("SET session_replication_role = replica")
        if tamper == "leaf":
            cursor.execute('UPDATE vault_logleaf SET leaf_hash = %s WHERE "index" = 3', ["ab" * 32])
        else:  # a certificate rewritten and re-signed with our own key, but the log still has the old one
            certificate = DeletionCertificate.objects.order_by("completed_at").first()
            certificate.counts = {"record": 0}
            transparency.certificates_sign([certificate])
            cursor.execute("UPDATE vault_deletioncertificate SET signed = %s, counts = %s WHERE id = %s",
                           [certificate.signed, '{"record": 0}', certificate_pk(certificate)])
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")
    with pytest.raises(CommandError, match="does not verify"):
        call_command("verify_transparency_log")


@pytest.mark.django_db
def test_the_log_answers_proofs_over_http(client):
    certificate = erase_people(5)[2]
    transparency.tree_head_publish()
    head = client.get("/transparency/heads/latest").json()
    assert head["size"] == 5 and client.get("/transparency/heads/5").json() == head
    leaf = merkle.leaf_hash(certificate.signed.encode())
    proof = client.get(f"/transparency/proof/inclusion?hash={leaf.hex()}&size=5").json()
    assert merkle.verify_inclusion(leaf, proof["leaf_index"], 5, [bytes.fromhex(p) for p in proof["proof"]],
                                   bytes.fromhex(head["root_hash"]))
    erase_people(3)
    transparency.tree_head_publish()
    consistency = client.get("/transparency/proof/consistency?first=5&second=8").json()
    later = TreeHead.objects.get(size=8)
    assert merkle.verify_consistency(5, 8, [bytes.fromhex(p) for p in consistency["proof"]],
                                     bytes.fromhex(head["root_hash"]), bytes.fromhex(later.root_hash))
    assert client.get("/transparency/proof/inclusion?hash=" + "0" * 64 + "&size=5").status_code == 404
    assert client.get("/transparency/proof/consistency?first=9&second=5").status_code == 400
    signed = client.get(f"/certificates/{certificate.pk}.jws")
    assert signed.content.decode() == certificate.signed


def _logged() -> DeletionCertificate:
    certificate = erase_people(3)[1]
    transparency.tree_head_publish()
    call_command("verify_transparency_log")
    return certificate


@pytest.mark.django_db
@pytest.mark.parametrize("tamper", [
    ("UPDATE vault_deletioncertificate SET signed = '', reason = 'retention' WHERE id = %s"),
    ("DELETE FROM vault_deletioncertificate WHERE id = %s"),
    ("UPDATE vault_deletioncertificate SET reason = 'retention', counts = '{}' WHERE id = %s"),
])
def test_a_dropped_blanked_or_rewritten_certificate_is_detected(tamper):
    certificate = _logged()
    as_superuser(tamper, [certificate_pk(certificate)])
    with pytest.raises(CommandError, match="does not verify"):
        call_command("verify_transparency_log")


@pytest.mark.django_db
def test_certificates_refuse_changes_through_the_application():
    certificate = _logged()
    with pytest.raises(PermissionError):
        DeletionCertificate.objects.filter(pk=certificate.pk).update(reason="retention")
    with pytest.raises(PermissionError):
        certificate.delete()
