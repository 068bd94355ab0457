"""Writing, verifying and anchoring the audit log. Called by other services inside their transaction.

Each event's hash is an HMAC-SHA256 under AUDIT_KEY, a key that lives in the environment and never
in the database: someone who can rewrite the tables (a database superuser, a restored dump) cannot
recompute a chain after changing an event. What the key cannot show is a chain cut short (its
newest events deleted and its head set back): the anchors can. A beat job publishes the chain
heads outside the database (a log line, a daily email to the privacy officer), and
`verify_audit_chain --anchors FILE` checks that every anchored event is still there, unchanged.

The log also knows its own shape: each of AUDIT_CHAINS chains is opened by a genesis event (migration
0005, or when a head is first created), and each anchor is also kept in the database (AuditAnchor), so
verification fails on a missing chain, an empty log, or a chain shorter than the newest anchor says it
was, without being given any file.

Appending per transaction: a service that runs its work in `audited_transaction()` (a
`transaction.atomic` that knows about the audit log; the one transaction idiom of services) has the
events raised inside it buffered and appended together when the outermost such block ends, still inside
its transaction: one head lock, then one statement inserting them and moving the head on (PostgreSQL; a
bulk insert and a head update elsewhere) per transaction instead of three statements per event. An event
raised in a savepoint that rolls back is dropped with it, and a transaction that rolls back writes none.
Outside such a block an event is appended at once.

Only Django's public API is used: the outermost block watches its connection's statements through an
execute wrapper (Django's database instrumentation) and keeps the stack of savepoints itself (SAVEPOINT,
RELEASE SAVEPOINT, ROLLBACK TO SAVEPOINT), each buffered event tagged with the depth it was raised at;
`transaction.get_rollback()` tells a transaction already doomed by an inner failure.
"""

import hashlib
import hmac
import json
import logging
import random
import re
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import sql
from django.utils import timezone

from .keys import decode_audit_key
from .models import AuditAnchor, AuditChainHead, AuditEvent, Verb

GENESIS = "0" * 64
ANCHOR_MARK = "audit-anchor"
logger = logging.getLogger(__name__)


def audit_key() -> bytes:
    return decode_audit_key(settings.AUDIT_KEY)


@dataclass(frozen=True)
class Actor:
    type: str
    id: str = ""

    @classmethod
    def staff(cls, user: Any) -> "Actor":
        return cls(AuditEvent.ActorType.STAFF, str(user.pk))

    @classmethod
    def subject(cls, subject: Any) -> "Actor":
        return cls(AuditEvent.ActorType.SUBJECT, str(subject.pk))

    @classmethod
    def controller(cls, controller: Any) -> "Actor":
        return cls(AuditEvent.ActorType.CONTROLLER, str(controller.pk))

    @classmethod
    def system(cls, job: str = "") -> "Actor":
        return cls(AuditEvent.ActorType.SYSTEM, job)


def _chain_count() -> int:
    return settings.AUDIT_CHAINS


def event_digest(*, chain: int, seq: int, at: str, actor_type: str, actor_id: str, verb: str, target: str,
                 detail: dict, prev_hash: str) -> str:
    canonical = json.dumps(
        [chain, seq, at, actor_type, actor_id, verb, target, detail, prev_hash],
        sort_keys=True, separators=(",", ":"), ensure_ascii=True,
    )
    return hmac.new(audit_key(), canonical.encode(), hashlib.sha256).hexdigest()


def _digest_of(event: AuditEvent) -> str:
    return event_digest(
        chain=event.chain, seq=event.seq, at=event.at.isoformat(), actor_type=event.actor_type,
        actor_id=event.actor_id, verb=event.verb, target=event.target, detail=event.detail,
        prev_hash=event.prev_hash,
    )


def genesis_event(chain: int, at: Any) -> AuditEvent:
    """The first event of a chain: the log's own record that the chain exists (see audit_chain_verify)."""
    event = AuditEvent(chain=chain, seq=1, at=at, actor_type=AuditEvent.ActorType.SYSTEM, actor_id="audit",
                       verb=Verb.AUDIT_GENESIS, target="", detail={"chains": _chain_count()}, prev_hash=GENESIS)
    event.hash = _digest_of(event)
    return event


def _ensure_heads() -> None:
    """Open every chain of AUDIT_CHAINS that has no head yet: its head and its genesis event, together
    (migration 0005 opened the chains of an existing log; this covers AUDIT_CHAINS raised later)."""
    missing = set(range(_chain_count())) - set(AuditChainHead.objects.values_list("chain", flat=True))
    at = timezone.now()
    for chain in sorted(missing):
        event = genesis_event(chain, at)
        try:
            with transaction.atomic():  # another process opening the same chain wins; ours is dropped
                AuditChainHead.objects.create(chain=chain, seq=1, hash=event.hash)
                AuditEvent.objects.bulk_create([event])
        except IntegrityError:
            continue


def _lock_head(chain: int | None) -> AuditChainHead:
    """Lock one chain head for the rest of the transaction.

    Without a chain named, it takes a head nobody else holds (skip_locked), so concurrent transactions
    spread over the chains instead of queueing. A transaction that appends again (several services in one
    transaction) takes the head it took first again (the connection's memo; its own lock does not make it
    skip it), so it holds one head; it waits for a head only while it holds none: no deadlock between
    transactions taking heads in different orders. The memo is forgotten whenever a transaction starts
    with an audited_transaction or an event appended outside one (autocommit: no transaction is open)."""
    if chain is not None:
        head = AuditChainHead.objects.select_for_update().filter(chain=chain).first()
        if head is None:
            _ensure_heads()
            head = AuditChainHead.objects.select_for_update().get(chain=chain)
        return head
    connection = transaction.get_connection()
    heads = AuditChainHead.objects.filter(chain__lt=_chain_count())
    memo = getattr(connection, "audit_chain_memo", None)
    head = heads.select_for_update(skip_locked=True).filter(chain=memo).first() if memo is not None else None
    if head is None:
        head = heads.select_for_update(skip_locked=True).order_by("?").first()
    if head is None:  # none created yet, or all busy
        _ensure_heads()
        head = heads.select_for_update(skip_locked=True).order_by("?").first()
    if head is None:  # all busy (by others): wait for a random one
        wanted = random.randrange(_chain_count())  # noqa: S311 (spreading load, not security)
        head = heads.select_for_update().get(chain=wanted)
    connection.audit_chain_memo = head.chain
    return head


@dataclass(frozen=True)
class Entry:
    """One event to append with audit_records()."""

    actor: Actor
    verb: str
    target: str | uuid.UUID = ""
    detail: dict | None = None


_VERBS = frozenset(Verb.values)  # Verb.values builds a new list on every read


def _checked_verb(verb: str) -> str:
    if verb not in _VERBS:
        raise ValueError(f"unknown audit verb {verb!r}: add it to apps.audit.models.Verb")
    return str(verb)


def audit_record(*, actor: Actor, verb: str, target: str | uuid.UUID = "", detail: dict | None = None,
                 chain: int | None = None) -> AuditEvent:
    """Append an event (or buffer it until the enclosing audited_transaction ends). Locks one chain head
    (of AUDIT_CHAINS) until the caller's transaction ends."""
    return audit_records(entries=[Entry(actor, verb, target, detail)], chain=chain)[0]


def audit_records(*, entries: list[Entry], chain: int | None = None) -> list[AuditEvent]:
    """Append several events to one chain with one head lock and one bulk insert (batch erasure).
    Inside an audited_transaction they are buffered and appended with the rest of its events."""
    events = [
        AuditEvent(actor_type=entry.actor.type, actor_id=entry.actor.id, verb=_checked_verb(entry.verb),
                   target=str(entry.target), detail=json.loads(json.dumps(entry.detail or {})))
        for entry in entries
    ]
    if not events:
        return []
    connection = transaction.get_connection()
    buffer = getattr(connection, "audit_buffer", None)
    if chain is None and buffer is not None:
        buffer.add(events)
        return events
    if transaction.get_autocommit():  # a transaction of its own: any memo is of an earlier one
        connection.audit_chain_memo = None
    with transaction.atomic(savepoint=False):
        _append(events, chain=chain)
    return events


def _append(events: list[AuditEvent], *, chain: int | None) -> None:
    """Chain the events on one head (locked until the transaction ends): one insert, one head update."""
    head = _lock_head(chain)
    at, seq, prev_hash = timezone.now(), head.seq, head.hash
    for event in events:
        seq += 1
        event.chain, event.seq, event.at, event.prev_hash = head.chain, seq, at, prev_hash
        event.hash = prev_hash = _digest_of(event)
    head.seq, head.hash = seq, prev_hash
    if transaction.get_connection().vendor == "postgresql":
        _insert_and_advance(events, head)
    else:
        AuditEvent.objects.bulk_create(events)
        head.save(update_fields=["seq", "hash"])


def _insert_and_advance(events: list[AuditEvent], head: AuditChainHead) -> None:
    """The events inserted and the head moved on in one statement (the head's UPDATE in a WITH clause,
    which PostgreSQL runs exactly once): the same rows as bulk_create and head.save(), one round trip."""
    connection = transaction.get_connection()
    fields = [f for f in AuditEvent._meta.concrete_fields if not f.primary_key]
    query = sql.InsertQuery(AuditEvent)
    query.insert_values(fields, events)
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [AuditEvent._meta.pk]
    [(insert_sql, insert_params)] = compiler.as_sql()
    heads = connection.ops.quote_name(AuditChainHead._meta.db_table)
    advance = f"WITH advanced AS (UPDATE {heads} SET seq = %s, hash = %s WHERE chain = %s RETURNING chain) "  # noqa: S608 (names ours, values bound)
    with connection.cursor() as cursor:
        cursor.execute(advance + insert_sql, (head.seq, head.hash, head.chain, *insert_params))
        for event, (pk,) in zip(events, cursor.fetchall(), strict=True):
            event.pk = pk
            event._state.adding, event._state.db = False, connection.alias


_SAVEPOINT_SQL = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\s+(\S+)\s*;?\s*$", re.IGNORECASE)


@dataclass
class _Buffer:
    """The events of the outermost audited_transaction on one connection, and the savepoints opened inside it
    (seen as they are executed). An event raised while n of them are open has depth n."""

    depth: int = 0  # audited_transaction blocks open
    savepoints: list[str] = field(default_factory=list)
    pending: list[tuple[int, AuditEvent]] = field(default_factory=list)

    def add(self, events: list[AuditEvent]) -> None:
        self.pending += [(len(self.savepoints), event) for event in events]

    def __call__(self, execute: Any, sql: Any, params: Any, many: bool, context: dict) -> Any:
        """An execute wrapper: runs the statement, then follows the savepoint stack it changed."""
        result = execute(sql, params, many, context)
        found = _SAVEPOINT_SQL.match(sql) if isinstance(sql, str) and "SAVEPOINT" in sql[:32].upper() else None
        if found:
            self._savepoint(found.group(1).upper(), found.group(2))
        return result

    def _savepoint(self, verb: str, name: str) -> None:
        if verb == "SAVEPOINT":
            self.savepoints.append(name)
            return
        if name not in self.savepoints:  # opened before the outermost block: not ours to follow
            return
        level = self.savepoints.index(name)  # events raised inside it have a depth above this
        if verb == "ROLLBACK TO SAVEPOINT":  # the savepoint stays open, empty
            del self.savepoints[level + 1:]
            self.pending = [(depth, event) for depth, event in self.pending if depth <= level]
        else:  # released: what was raised inside it now belongs to the block around it
            del self.savepoints[level:]
            self.pending = [(min(depth, level), event) for depth, event in self.pending]


@contextmanager
def audited_transaction(*, durable: bool = False, savepoint: bool = True) -> Iterator[None]:
    """`transaction.atomic(durable=, savepoint=)` whose audit events are appended together, just before
    the outermost audited_transaction ends, in the same transaction. Usable as a decorator."""
    connection = transaction.get_connection()
    buffer = getattr(connection, "audit_buffer", None)
    if buffer is not None:  # inside another one: its savepoints are already followed
        buffer.depth += 1
        try:
            with transaction.atomic(durable=durable, savepoint=savepoint):
                yield
        finally:
            buffer.depth -= 1
        return
    buffer = connection.audit_buffer = _Buffer(depth=1)
    if transaction.get_autocommit():  # this block is the transaction: any memo is of an earlier one
        connection.audit_chain_memo = None
    try:
        with connection.execute_wrapper(buffer), transaction.atomic(durable=durable, savepoint=savepoint):
            yield
            events = [event for _depth, event in buffer.pending]
            del connection.audit_buffer  # appended at once from here on
            if events and not transaction.get_rollback():  # an inner failure dooms the transaction
                _append(events, chain=None)
    finally:
        if getattr(connection, "audit_buffer", None) is buffer:
            del connection.audit_buffer


@dataclass
class ChainReport:
    ok: bool
    count: int
    broken_at: AuditEvent | None = None
    chain: int | None = None
    problem: str = ""


def audit_chain_verify() -> ChainReport:
    """Walk every chain; report the first event where one breaks. The log must also have its shape: a
    chain for each of AUDIT_CHAINS (each opened by a genesis event), and no chain shorter than the newest
    anchor says it was (its anchored event still there, unchanged)."""
    heads = {h.chain: h for h in AuditChainHead.objects.all()}
    chains = set(heads) | set(AuditEvent.objects.values_list("chain", flat=True).distinct())
    if not chains:
        return ChainReport(False, 0, problem="the audit log is empty: every chain and its genesis event is gone")
    for chain in range(_chain_count()):
        if chain not in chains:
            return ChainReport(False, 0, None, chain, "chain is missing (its events and head are gone)")
    anchor = AuditAnchor.objects.order_by("-at", "-pk").first()
    anchored = {int(c): (int(seq), value) for c, (seq, value) in (anchor.heads if anchor else {}).items()}
    count = 0
    for chain in sorted(chains | set(anchored)):
        report = _chain_verify(chain, heads.get(chain), anchored.get(chain), anchor)
        count += report.count
        if not report.ok:
            report.count = count
            return report
    return ChainReport(True, count)


def _chain_verify(chain: int, head: AuditChainHead | None, anchored: tuple[int, str] | None,
                  anchor: AuditAnchor | None) -> ChainReport:
    prev_hash, expected_seq, count, last = GENESIS, 1, 0, None
    for event in AuditEvent.objects.filter(chain=chain).order_by("seq").iterator(chunk_size=2000):
        if event.seq != expected_seq:
            return ChainReport(False, count, event, chain, f"sequence gap: expected {expected_seq}")
        if event.prev_hash != prev_hash:
            return ChainReport(False, count, event, chain, "previous hash does not match")
        if not hmac.compare_digest(_digest_of(event), event.hash):
            return ChainReport(False, count, event, chain, "event content does not match its hash")
        if anchored and event.seq == anchored[0] and not hmac.compare_digest(event.hash, anchored[1]):
            return ChainReport(False, count, event, chain, f"event differs from the anchor of {anchor.at.isoformat()}")
        prev_hash, expected_seq, last = event.hash, expected_seq + 1, event
        count += 1
    if head is None or head.seq != expected_seq - 1 or head.hash != prev_hash:
        return ChainReport(False, count, last, chain, "chain head does not match its newest event")
    if anchored and head.seq < anchored[0]:
        return ChainReport(False, count, last, chain, f"chain head (event {head.seq}) is older than the anchor of "
                                                      f"{anchor.at.isoformat()} (event {anchored[0]})")
    return ChainReport(True, count)


# --- anchors: the chain heads, published outside the database ---------------------------------------
def audit_anchor_publish(*, email: bool = False) -> dict:
    """Publish every chain head (seq and hash) as one log line and, when asked (daily), in an email to
    the privacy officer. Either copy can later be given to `verify_audit_chain --anchors`."""
    heads = {str(h.chain): [h.seq, h.hash] for h in AuditChainHead.objects.order_by("chain") if h.seq}
    now = timezone.now()
    anchor = {"at": now.isoformat(), "heads": heads}
    newest = AuditAnchor.objects.order_by("-at", "-pk").first()
    if heads and (newest is None or newest.heads != heads):  # kept: verification knows the log was this long
        AuditAnchor.objects.create(at=now, heads=heads)
    line = f"{ANCHOR_MARK} {json.dumps(anchor, sort_keys=True, separators=(',', ':'))}"
    logger.info("%s", line)
    if email:
        send_mail(
            subject="Audit log anchor", from_email=None, recipient_list=[settings.PRIVACY_OFFICER_EMAIL],
            message="The heads of the audit log's hash chains at the time below. Keep this email: "
                    "`python manage.py verify_audit_chain --anchors FILE` with this text in FILE checks "
                    "that no event up to these points was changed or removed.\n\n" + line + "\n",
        )
    return anchor


def anchors_parse(lines: Iterable[str]) -> list[dict]:
    """Every anchor in a text (a log file, a saved email): each line holding the mark and its JSON."""
    anchors = []
    for line in lines:
        match = re.search(ANCHOR_MARK + r" (\{.*\})", line)
        if match:
            anchors.append(json.loads(match.group(1)))
    return anchors


def audit_anchors_verify(anchors: list[dict]) -> list[str]:
    """Problems found: an anchored event missing (the chain was cut short) or with another hash."""
    problems = []
    for anchor in anchors:
        for chain, (seq, expected) in anchor["heads"].items():
            event = AuditEvent.objects.filter(chain=int(chain), seq=int(seq)).first()
            if event is None:
                problems.append(f"chain {chain}: event {seq} anchored at {anchor['at']} is missing")
            elif not hmac.compare_digest(event.hash, expected):
                problems.append(f"chain {chain}: event {seq} differs from its anchor of {anchor['at']}")
    return problems
