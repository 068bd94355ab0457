"""Files attached to a form that came back with mistakes, kept so the visitor need not send them again.

Each is one row sealed under a data key of its own (recruitment.UploadKept), bound to the form's own key (a
random id only that visitor's page holds). The form, once sent, takes them (intake_hold) and they are
deleted with their keys in its transaction; the rest are deleted with their keys after UPLOAD_KEPT_MINUTES
(beat: uploads-kept-expire)."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, transaction
from django.utils import timezone

from apps.audit.services import Actor, Entry, Verb, audit_records, audited_transaction
from apps.vault.routers import vault_db
from apps.vault.services import datakey_create, datakeys_destroy, key_scope

from .models import UploadKept


def _destroy(rows: list[UploadKept]) -> None:
    """The rows, then their keys (with the rows, or once they are surely gone with a key store of its own)."""
    ids = [row.pk for row in rows]
    UploadKept.objects.filter(pk__in=ids).delete()
    if vault_db() == DEFAULT_DB_ALIAS:
        datakeys_destroy(subject_ids=ids)
    else:
        transaction.on_commit(lambda: datakeys_destroy(subject_ids=ids))


def uploads_kept(*, form_key: uuid.UUID) -> dict[str, str]:
    """The files kept for this form: {field: the file's name}."""
    with key_scope():
        return {row.field: row.name for row in UploadKept.objects.filter(form_key=form_key,
                                                                         expires_at__gt=timezone.now())}


def uploads_keep(*, form_key: uuid.UUID, uploads: dict[str, tuple[str, bytes]]) -> None:
    """Keep these accepted files ({field: (name, data)}) for the form, replacing any kept for the same field."""
    expires_at = timezone.now() + timedelta(minutes=settings.UPLOAD_KEPT_MINUTES)
    with key_scope(), audited_transaction(durable=True):
        _destroy(list(UploadKept.objects.select_for_update().filter(form_key=form_key, field__in=list(uploads))))
        rows = []
        for field, (name, data) in uploads.items():
            row = UploadKept(form_key=form_key, field=field, expires_at=expires_at)
            datakey_create(subject_id=row.pk)
            row.name, row.data = name[:255], data
            rows.append(row)
        UploadKept.objects.bulk_create(rows)
        audit_records(entries=[Entry(Actor.system("apply-form"), Verb.UPLOAD_KEPT, row.pk, {"field": row.field})
                               for row in rows])


class KeptUploadGone(Exception):
    """A file the page said was kept is gone (it expired meanwhile): the form must ask for it again."""

    def __init__(self, fields: list[str]) -> None:
        super().__init__(", ".join(fields))
        self.fields = fields


def uploads_take(*, form_key: uuid.UUID, expected: frozenset[str] = frozenset()) -> dict[str, bytes]:
    """The kept files' contents for the form being sent, deleted with their keys in the caller's transaction.
    KeptUploadGone if one of `expected` (the fields the page said were kept) is no longer there."""
    rows = list(UploadKept.objects.select_for_update().filter(form_key=form_key))
    taken = {row.field: row.data for row in rows}
    if missing := sorted(expected - set(taken)):
        raise KeptUploadGone(missing)
    _destroy(rows)
    return taken


def uploads_discard(*, form_key: uuid.UUID) -> int:
    """Delete, with their keys, the files kept for this form (a form refused whole: nothing of it stays)."""
    with audited_transaction(durable=True):
        rows = list(UploadKept.objects.select_for_update().filter(form_key=form_key))
        _destroy(rows)
    return len(rows)


def uploads_kept_expire(*, now: datetime | None = None) -> int:
    """Beat: delete the kept files whose form was never sent, with their keys. Returns how many."""
    with audited_transaction(durable=True):
        rows = list(UploadKept.objects.select_for_update(skip_locked=True)
                    .filter(expires_at__lte=now or timezone.now()))
        _destroy(rows)
    return len(rows)
