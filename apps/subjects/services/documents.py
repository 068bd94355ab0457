"""A person's files (ID scans, CVs): sniffed, bounded, sealed with the person's key before they touch the disk."""

import uuid
from collections.abc import Iterator

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, Verb, audit_record, audited_transaction
from apps.vault import files as vault_files

from ..models import DataSubject, IdentityDocument, LegalHold, Reveal
from .people import reveal_write


class DocumentRejected(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # "too-large", "empty" or "type"


SIGNATURES = [
    (b"%PDF-", IdentityDocument.ContentType.PDF),
    (b"\xff\xd8\xff", IdentityDocument.ContentType.JPEG),
    (b"\x89PNG\r\n\x1a\n", IdentityDocument.ContentType.PNG),
]


def sniff_content_type(head: bytes) -> str | None:
    """The type from the bytes themselves; the client's filename and content type are ignored."""
    for magic, content_type in SIGNATURES:
        if head.startswith(magic):
            return content_type
    return None


def document_check(*, data: bytes, kind: str = IdentityDocument.Kind.ID_SCAN) -> str:
    """The content type of an acceptable file of this kind, or DocumentRejected: an ID scan is a PDF, JPEG
    or PNG of at most 10 MB; a CV is a PDF of at most 5 MB. The bytes decide, never the file's name."""
    cv = kind == IdentityDocument.Kind.CV
    if not data:
        raise DocumentRejected("empty")
    if len(data) > (IdentityDocument.CV_MAX_BYTES if cv else IdentityDocument.MAX_BYTES):
        raise DocumentRejected("too-large")
    content_type = sniff_content_type(data[:16])
    if content_type is None or (cv and content_type not in IdentityDocument.CV_TYPES):
        raise DocumentRejected("type")
    return content_type


def document_add(*, subject: DataSubject, actor: Actor, data: bytes, kind: str = IdentityDocument.Kind.ID_SCAN,
                 replace: bool = False) -> IdentityDocument:
    """Store one document. If this (or an enclosing) transaction rolls back, the stored file goes too.
    With `replace`, the person's earlier documents of this kind go once it commits (not under a legal
    hold on documents): a new application brings the current ID scan or CV."""
    content_type = document_check(data=data, kind=kind)
    with vault_files.files_kept_only_if_committed(), audited_transaction(savepoint=False):
        document = IdentityDocument(id=uuid.uuid4(), subject=subject, content_type=content_type, size=len(data),
                                    kind=kind)
        document.stored_name = vault_files.file_store(subject_id=subject.pk, document_id=document.pk, data=data)
        document.save(force_insert=True)
        audit_record(actor=actor, verb=Verb.DOCUMENT_ADDED, target=subject.pk,
                     detail={"document": str(document.pk), "type": content_type, "kind": kind})
        if replace:
            _documents_remove(subject=subject, actor=actor, kind=kind, keep=document.pk)
    return document


def _documents_remove(*, subject: DataSubject, actor: Actor, kind: str, keep: uuid.UUID) -> None:
    # A legal hold on the documents keeps the old one too (the list is checked in Python: SQLite has no
    # JSON containment).
    holds = LegalHold.objects.filter(subject=subject, until__gt=timezone.now()).values_list("fields", flat=True)
    if any("documents" in fields for fields in holds):
        return
    old = list(IdentityDocument.objects.filter(subject=subject, kind=kind).exclude(pk=keep)
               .values_list("pk", "stored_name"))
    if not old:
        return
    IdentityDocument.objects.filter(pk__in=[pk for pk, _name in old]).delete()
    for _pk, name in old:  # the row is gone once this commits; its file goes then
        transaction.on_commit(lambda name=name: vault_files.file_delete(name=name))
    audit_record(actor=actor, verb=Verb.DOCUMENT_REMOVED, target=subject.pk,
                 detail={"documents": [str(pk) for pk, _name in old], "kind": kind, "replaced_by": str(keep)})


@audited_transaction()
def document_reveal(*, document: IdentityDocument, staff_user, reason: str,
                    note: str = "") -> Iterator[bytes]:
    """A member of staff opens an ID scan: audited with the reason before a byte is read."""
    reveal_write(subject=document.subject, staff_user=staff_user, what=Reveal.What.DOCUMENT,
            item=document.pk, reason=reason, note=note)
    return document_read(document=document)


def document_read(*, document: IdentityDocument) -> Iterator[bytes]:
    return vault_files.file_open(subject_id=document.subject_id, document_id=document.pk, name=document.stored_name)
