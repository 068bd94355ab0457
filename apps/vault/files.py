"""Encrypted file storage: file bytes are sealed with the owner's data key before touching disk.

The stored name is random and reveals nothing; the associated data binds the bytes to their
document row, so a file swapped for another person's or another document's does not open.
"""

import errno
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.core.files.base import ContentFile
from django.core.files.storage import storages

from . import services

logger = logging.getLogger(__name__)

STORAGE_DIR = "vault"
CHUNK = 64 * 1024
# A write that fails for these reasons will fail for everyone until an operator frees space.
STORAGE_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


class StorageFull(Exception):
    """The file could not be written because the disk (or quota) is full; nothing of it was kept."""


def _aad(document_id: uuid.UUID) -> bytes:
    return b"pp-file|" + document_id.bytes


def file_store(*, subject_id: uuid.UUID, document_id: uuid.UUID, data: bytes) -> str:
    """Seal and save; returns the stored name to keep on the document row.

    A write that fails deletes what it wrote at once (the storage leaves a partial file behind)
    and raises: StorageFull when the disk is full (logged as an alert), the original error otherwise.
    """
    sealed = services.value_seal(subject_id=subject_id, plaintext=data, aad=_aad(document_id))
    storage = storages["default"]
    name = f"{STORAGE_DIR}/{uuid.uuid4().hex}"  # random: nobody else writes this name
    try:
        name = storage.save(name, ContentFile(sealed))
    except OSError as exc:
        try:
            storage.delete(name)
        except OSError:
            logger.exception("could not remove the partial file %s", name)
        if exc.errno in STORAGE_FULL:
            logger.error("ALERT storage full: an encrypted file could not be written (%s); free space under "
                         "MEDIA_ROOT", errno.errorcode.get(exc.errno, exc.errno))
            raise StorageFull(errno.errorcode.get(exc.errno, "")) from None
        raise
    if (unit := _stored_in_unit.get()) is not None:
        unit.append(name)
    return name


def file_open(*, subject_id: uuid.UUID, document_id: uuid.UUID, name: str) -> Iterator[bytes]:
    """Decrypted bytes in chunks. The whole file is authenticated before the first chunk is
    released (documents are at most 10 MB), so a tampered file never yields partial content."""
    with storages["default"].open(name, "rb") as fh:
        sealed = fh.read()
    plaintext = services.value_open(subject_id=subject_id, sealed=sealed, aad=_aad(document_id))
    for start in range(0, len(plaintext), CHUNK):
        yield plaintext[start : start + CHUNK]


def file_delete(*, name: str) -> None:
    storages["default"].delete(name)


def files_older_than(cutoff: datetime) -> list[str]:
    """Stored names of the vault's files last written before `cutoff`."""
    storage = storages["default"]
    try:
        _, names = storage.listdir(STORAGE_DIR)
    except FileNotFoundError:
        return []
    paths = [f"{STORAGE_DIR}/{name}" for name in names]
    return [path for path in paths if storage.get_modified_time(path) < cutoff]


# Names stored in the current unit of work, deleted again if it does not commit.
_stored_in_unit: ContextVar[list[str] | None] = ContextVar("vault_files_stored", default=None)


@contextmanager
def files_kept_only_if_committed() -> Iterator[None]:
    """Wrap a transaction that stores files: if it raises (and so rolls back), the files it stored go too.

    Put it outside the transaction.atomic() block, so that a failing COMMIT is covered as well."""
    outer = _stored_in_unit.get()
    names: list[str] = []
    token = _stored_in_unit.set(names)
    try:
        yield
    except BaseException:
        for name in names:
            file_delete(name=name)
        raise
    finally:
        _stored_in_unit.reset(token)
        if outer is not None:
            outer.extend(names)  # an enclosing unit may still roll back
