"""Django's database sessions, without the round trips a new session does not need (SESSION_ENGINE).

A new session cost seven statements: a SELECT that the random key is not taken, BEGIN, INSERT, COMMIT,
and then, when the session middleware saves it again at the end of the same request, BEGIN, UPDATE,
COMMIT. Here it is one INSERT:
- the key (32 random characters) is not looked up first: the INSERT is the check (a taken key fails
  the primary key and a new one is drawn, as Django does when its look-up loses a race);
- outside a transaction a single statement needs no BEGIN/COMMIT of its own (inside one it keeps its
  savepoint, so a failed INSERT does not spoil the caller's transaction);
- a save of exactly what was saved last, in the same request, writes nothing.
What is stored, when it expires and how it is read are Django's.
"""

from django.contrib.sessions.backends.base import CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import DatabaseError, IntegrityError, connections, router, transaction
from django.utils.crypto import get_random_string

VALID_KEY_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789"  # Django's (sessions.backends.base)


class SessionStore(DatabaseSessionStore):
    _saved: tuple[str, bytes] | None = None  # (key, data) as last written by this store

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)  # 165 bits: the INSERT's primary key catches a repeat

    def _state(self, data: dict) -> tuple[str, bytes]:
        return self.session_key, self.serializer().dumps(data)

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            return self.create()
        data = self._get_session(no_load=must_create)
        state = self._state(data)
        if not must_create and state == self._saved:
            return None  # written already in this request, unchanged since
        obj = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=obj)
        try:
            if connections[using].in_atomic_block:
                with transaction.atomic(using=using):
                    obj.save(force_insert=must_create, force_update=not must_create, using=using)
            else:  # autocommit: one statement is its own transaction
                obj.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise
        self._saved = state
        return None

    def delete(self, session_key: str | None = None) -> None:
        self._saved = None
        super().delete(session_key)

    def cycle_key(self) -> None:
        self._saved = None
        super().cycle_key()
