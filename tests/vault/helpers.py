"""Helpers the vault tests share: people erased (certificates), a superuser's writes, a log cut short."""


from django.db import connection

from apps.audit.services import Actor
from apps.subjects import services
from apps.vault.models import DeletionCertificate, LogLeaf, LogNode
from tests.factories import EngagementFactory


def as_superuser(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def erase_people(n: int) -> list[DeletionCertificate]:
    people = [EngagementFactory().subject for _ in range(n)]
    jobs = [(j.pk, j.subject_id, j.reason) for j in services.erasures_request(
        subject_ids=[p.pk for p in people], reason="retention", actor=Actor.system("test"))]
    return [c for c in services.subjects_erase(jobs=jobs).values() if c]


def certificate_pk(certificate) -> str:
    return str(certificate.pk) if connection.vendor == "postgresql" else certificate.pk.hex


def drop_newest_certificate() -> DeletionCertificate:
    """The newest certificate, its leaf, the subtrees it completed and every head that covered it."""
    newest = LogLeaf.objects.order_by("-index").first()
    size = newest.index
    certificate = DeletionCertificate.objects.get(pk=newest.certificate_id)
    as_superuser("DELETE FROM vault_deletioncertificate WHERE id = %s", [certificate_pk(certificate)])
    as_superuser('DELETE FROM vault_logleaf WHERE "index" = %s', [newest.index])
    for node in LogNode.objects.all():
        if (node.index + 1) << node.level > size:
            as_superuser('DELETE FROM vault_lognode WHERE level = %s AND "index" = %s', [node.level, node.index])
    as_superuser("DELETE FROM vault_treehead WHERE size > %s", [size])
    return certificate
