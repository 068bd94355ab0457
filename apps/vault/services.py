"""Data keys: create, unwrap (once per unit of work), destroy, rewrap; sealing values and files."""

import os
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, Verb, audit_record, audited_transaction

from .crypto import DecryptionError, blind_index, open_sealed, seal
from .keyring import get_keyring
from .models import DataKey
from .routers import vault_db


class KeyDestroyed(DecryptionError):
    """The person's data key no longer exists: their data is erased for good."""


# Unwrapped keys for the current request or task only; never in a shared cache.
_unit_of_work: ContextVar[dict[uuid.UUID, bytes] | None] = ContextVar("vault_keys", default=None)


@contextmanager
def key_scope() -> Iterator[None]:
    """Within this block each person's key is unwrapped at most once, then forgotten."""
    token = _unit_of_work.set({})
    try:
        yield
    finally:
        _unit_of_work.reset(token)


def _wrap_aad(subject_id: uuid.UUID) -> bytes:
    return b"pp-dek|" + subject_id.bytes


def datakey_create(*, subject_id: uuid.UUID) -> None:
    datakey_new(subject_id=subject_id).save(force_insert=True, using=vault_db())


def datakey_new(*, subject_id: uuid.UUID) -> DataKey:
    """A new data key, wrapped, not yet written: the caller inserts the row (in the key store's database,
    vault_db()) in its transaction. Inside a key scope the key is usable at once (what is sealed under it
    before the row is written can be read once it is)."""
    keyring = get_keyring()
    dek = os.urandom(32)
    row = DataKey(subject_id=subject_id, master_key_id=keyring.current_id,
                  wrapped_key=seal(keyring.master(keyring.current_id), dek, _wrap_aad(subject_id)))
    cache = _unit_of_work.get()
    if cache is not None:
        cache[subject_id] = dek
    return row


_unwraps = [0]  # how many data keys this process has unwrapped (for tests and benches)


def unwrap_count() -> int:
    return _unwraps[0]


def datakey_get(*, subject_id: uuid.UUID) -> bytes:
    cache = _unit_of_work.get()
    if cache is not None and subject_id in cache:
        return cache[subject_id]
    row = DataKey.objects.using(vault_db()).filter(subject_id=subject_id).first()
    if row is None:
        raise KeyDestroyed("no data key: this person's data has been erased")
    keyring = get_keyring()
    _unwraps[0] += 1
    dek = open_sealed(keyring.master(row.master_key_id), bytes(row.wrapped_key), _wrap_aad(subject_id))
    if cache is not None:
        cache[subject_id] = dek
    return dek


def datakeys_prefetch(*, subject_ids: Iterable[uuid.UUID]) -> None:
    """Unwrap many people's keys into the current key scope with one SELECT (a batch about to read them
    all). Outside a key scope, or for keys already in it, nothing is done; an erased person has none."""
    cache = _unit_of_work.get()
    wanted = [subject_id for subject_id in set(subject_ids) if cache is not None and subject_id not in cache]
    if not wanted:
        return
    keyring = get_keyring()
    for row in DataKey.objects.using(vault_db()).filter(subject_id__in=wanted):
        _unwraps[0] += 1
        cache[row.subject_id] = open_sealed(keyring.master(row.master_key_id), bytes(row.wrapped_key),
                                            _wrap_aad(row.subject_id))


def datakey_destroy(*, subject_id: uuid.UUID) -> bool:
    """Destroy the key in its own committed transaction. Returns False if it was already gone."""
    return bool(datakeys_destroy(subject_ids=[subject_id]))


def datakeys_destroy(*, subject_ids: list[uuid.UUID]) -> int:
    """Destroy many people's keys in one committed statement. Returns how many existed."""
    if not subject_ids:
        return 0
    with transaction.atomic(using=vault_db()):
        deleted, _ = DataKey.objects.using(vault_db()).filter(subject_id__in=list(subject_ids)).delete()
    cache = _unit_of_work.get()
    if cache is not None:
        for subject_id in subject_ids:
            cache.pop(subject_id, None)
    return deleted


def datakey_exists(*, subject_id: uuid.UUID) -> bool:
    return DataKey.objects.using(vault_db()).filter(subject_id=subject_id).exists()


def datakeys_rewrap(*, batch_size: int = 500) -> Iterator[tuple[int, int]]:
    """Rewrap every key not under the newest master key, a batch per transaction.

    Yields (done so far, remaining) after each batch. Resumable: an interrupted run leaves
    some keys rewrapped and the next run picks up the rest.
    """
    keyring = get_keyring()
    current = keyring.master(keyring.current_id)
    db = vault_db()
    done = 0
    while True:
        with transaction.atomic(using=db):
            batch = list(
                DataKey.objects.using(db)
                .exclude(master_key_id=keyring.current_id)
                .select_for_update(skip_locked=True)
                .order_by("subject_id")[:batch_size]
            )
            if not batch:
                return
            now = timezone.now()
            for row in batch:
                aad = _wrap_aad(row.subject_id)
                dek = open_sealed(keyring.master(row.master_key_id), bytes(row.wrapped_key), aad)
                row.wrapped_key = seal(current, dek, aad)
                row.master_key_id = keyring.current_id
                row.rewrapped_at = now
            DataKey.objects.using(db).bulk_update(batch, ["wrapped_key", "master_key_id", "rewrapped_at"])
            with audited_transaction():  # the audit log lives in the main database, the keys maybe not
                audit_record(actor=Actor.system("rotate_master_key"), verb=Verb.KEYS_REWRAPPED,
                             detail={"count": len(batch), "master_key_id": keyring.current_id})
        done += len(batch)
        remaining = DataKey.objects.using(db).exclude(master_key_id=keyring.current_id).count()
        yield done, remaining


def value_seal(*, subject_id: uuid.UUID, plaintext: bytes, aad: bytes) -> bytes:
    return seal(datakey_get(subject_id=subject_id), plaintext, aad)


def value_open(*, subject_id: uuid.UUID, sealed: bytes, aad: bytes) -> bytes:
    return open_sealed(datakey_get(subject_id=subject_id), sealed, aad)


def blind_index_for(*, kind: str, normalised: str) -> str:
    return blind_index(get_keyring().index_key, kind, normalised)
