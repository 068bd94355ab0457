"""Identity documents: sniffed, bounded, sealed with the person's key before they touch the disk."""

import uuid
from collections.abc import Iterator

from django.db import transaction

from apps.audit.services import Actor, Verb, audit_record, audited_transaction
from apps.vault import files as vault_files

from ..models import DataSubject, IdentityDocument, Reveal
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


def document_add(*, subject: DataSubject, actor: Actor, data: bytes) -> IdentityDocument:
    """Store one document. If this (or an enclosing) transaction rolls back, the stored file goes too."""
    if not data:
        raise DocumentRejected("empty")
    if len(data) > IdentityDocument.MAX_BYTES:
        raise DocumentRejected("too-large")
    content_type = sniff_content_type(data[:16])
    if content_type is None:
        raise DocumentRejected("type")
    with vault_files.files_kept_only_if_committed(), audited_transaction(savepoint=False):
        document = IdentityDocument(id=uuid.uuid4(), subject=subject, content_type=content_type, size=len(data))
        document.stored_name = vault_files.file_store(subject_id=subject.pk, document_id=document.pk, data=data)
        document.save(force_insert=True)
        audit_record(actor=actor, verb=Verb.DOCUMENT_ADDED, target=subject.pk,
                     detail={"document": str(document.pk), "type": content_type})
    return document


@transaction.atomic
def document_reveal(*, document: IdentityDocument, staff_user, reason: str,
                    note: str = "") -> Iterator[bytes]:
    """A member of staff opens an ID scan: audited with the reason before a byte is read."""
    reveal_write(subject=document.subject, staff_user=staff_user, what=Reveal.What.DOCUMENT,
            item=document.pk, reason=reason, note=note)
    return document_read(document=document)


def document_read(*, document: IdentityDocument) -> Iterator[bytes]:
    return vault_files.file_open(subject_id=document.subject_id, document_id=document.pk, name=document.stored_name)
