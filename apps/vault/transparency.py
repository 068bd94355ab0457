"""The public, append-only log of deletion certificates: an RFC 9162 Merkle tree over their signed JWS.

Certificates are signed and appended in the key store's transaction that writes them. Complete subtrees
are stored as they fill (LogNode), so a root or a proof reads O(log n) rows. A beat job publishes a
signed tree head; anyone can ask for an inclusion proof of their certificate and a consistency proof
between two heads, and check them offline with privacy_portal_verify.
"""

import json
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps as django_apps
from django.conf import settings
from django.db import connections, models, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation

from apps.audit.models import AuditAnchor, AuditChainHead, AuditEvent
from apps.audit.services import Actor, Verb, audit_record, audited_transaction
from privacy_portal_verify import merkle
from privacy_portal_verify.jws import signed_of

from .models import AnchorEntry, DeletionCertificate, LogLeaf, LogNode, TreeHead
from .proofs import ProofInvalid, proof_sign, proof_verify, registrations
from .routers import vault_db

logger = logging.getLogger(__name__)

APPEND_LOCK = 0x70726F6F66  # pg_advisory_xact_lock key: one appender at a time ("proof")


def certificate_payload(certificate: DeletionCertificate) -> dict:
    """What a signed deletion certificate says. No personal data: the person's pseudonymous id only."""
    return {"type": "deletion-certificate", "certificate_id": str(certificate.pk),
            "subject_id": str(certificate.subject_id), "reason": certificate.reason,
            "categories": list(certificate.categories), "counts": dict(certificate.counts),
            "key_destroyed_at": certificate.key_destroyed_at.isoformat(),
            "completed_at": certificate.completed_at.isoformat(), "issuer": _issuer(),
            **({"notice": certificate.notice} if certificate.notice else {})}


def _issuer() -> dict:
    return {"name": settings.CONTROLLER_NAME, "contact": settings.PRIVACY_OFFICER_EMAIL,
            **registrations(), "keys": settings.SITE_URL + "/.well-known/privacy-proofs/keys.json"}



def certificates_sign(certificates: list[DeletionCertificate]) -> None:
    for certificate in certificates:
        certificate.signed = proof_sign(certificate_payload(certificate))


def log_size() -> int:
    last = LogLeaf.objects.using(vault_db()).aggregate(last=Max("index"))["last"]
    return 0 if last is None else last + 1


def _complete_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The aligned complete subtrees (level, index) that MTH(D[start:end]) is made of."""
    n = end - start
    if n == 0:
        return []
    if n & (n - 1) == 0 and start % n == 0:
        level = n.bit_length() - 1
        return [(level, start >> level)]
    k = merkle.split(n)
    return _complete_subtrees(start, start + k) + _complete_subtrees(start + k, end)


class Subtrees:
    """MTH(D[start:end]) of the stored log: complete aligned subtrees are read, the rest hashed."""

    def __init__(self) -> None:
        self.memo: dict[tuple[int, int], bytes] = {}

    def node(self, level: int, index: int) -> bytes:
        if (level, index) not in self.memo:
            rows = (LogLeaf.objects.using(vault_db()).filter(index=index).values_list("leaf_hash", flat=True)
                    if level == 0 else
                    LogNode.objects.using(vault_db()).filter(level=level, index=index).values_list("hash", flat=True))
            value = rows.first()
            if value is None:
                raise LookupError(f"the log has no subtree {level}/{index}")
            self.memo[(level, index)] = bytes.fromhex(value)
        return self.memo[(level, index)]

    def load(self, wanted: set[tuple[int, int]]) -> None:
        """Read these complete subtrees (level, index) in two queries at most, so that computing with them
        reads nothing more."""
        wanted = {w for w in wanted if w not in self.memo}
        leaf_indexes = [index for level, index in wanted if level == 0]
        if leaf_indexes:
            rows = LogLeaf.objects.using(vault_db()).filter(index__in=leaf_indexes).values_list("index", "leaf_hash")
            self.memo.update({(0, i): bytes.fromhex(h) for i, h in rows})
        nodes = Q()
        for level, index in wanted:
            if level:
                nodes |= Q(level=level, index=index)
        if nodes:
            rows = LogNode.objects.using(vault_db()).filter(nodes).values_list("level", "index", "hash")
            self.memo.update({(level, index): bytes.fromhex(h) for level, index, h in rows})

    def load_frontier(self, size: int) -> None:
        """Read the complete subtrees on the right edge of a tree of `size`: the only stored nodes that
        appending leaves needs."""
        self.load({(level, (size >> level) - 1) for level in range(size.bit_length()) if size >> level & 1})

    def load_for(self, proof: Callable[[merkle.Subtree], list[bytes]]) -> None:
        """Read every complete subtree a proof will ask for, found by a dry run that records the ranges."""
        ranges: list[tuple[int, int]] = []
        proof(lambda start, end: ranges.append((start, end)) or b"")
        self.load({node for start, end in ranges for node in _complete_subtrees(start, end)})

    def __call__(self, start: int, end: int) -> bytes:
        n = end - start
        if n == 0:
            return merkle.EMPTY_ROOT
        if n & (n - 1) == 0 and start % n == 0:
            level = n.bit_length() - 1
            return self.node(level, start >> level)
        k = merkle.split(n)
        return merkle.node_hash(self(start, start + k), self(start + k, end))


def leaves_append(*, certificates: list[DeletionCertificate]) -> None:
    """Append signed certificates to the log. Call inside the key store's transaction that writes them."""
    _leaves_append([(c.signed, c.pk, None) for c in certificates])


def _leaves_append(items: list[tuple[str, Any, int | None]]) -> None:
    """Append signed documents (signed JWS, certificate id, anchor id) as leaves, with the subtrees they
    complete. A document already in the log is not appended twice (a re-run)."""
    if not items:
        return
    db = vault_db()
    connection = connections[db]
    if connection.vendor == "postgresql":  # on SQLite the write transaction already serialises appenders
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK])
    certificates = [c for _s, c, _a in items if c is not None]
    anchors = [a for _s, _c, a in items if a is not None]
    logged = LogLeaf.objects.using(db).filter(Q(certificate_id__in=certificates) | Q(anchor_id__in=anchors))
    seen = {key for pair in logged.values_list("certificate_id", "anchor_id") for key in pair if key is not None}
    items = [item for item in items if (item[1] if item[1] is not None else item[2]) not in seen]
    if not items:
        return
    start, tree = log_size(), Subtrees()
    tree.load_frontier(start)
    leaves, nodes = [], []
    for offset, (signed, certificate_id, anchor_id) in enumerate(items):
        index = start + offset
        value = merkle.leaf_hash(signed.encode())
        leaves.append(LogLeaf(index=index, leaf_hash=value.hex(), certificate_id=certificate_id, anchor_id=anchor_id))
        tree.memo[(0, index)] = value
        level = 0
        while index & 1:  # a right child completes its parent
            value = merkle.node_hash(tree.node(level, index - 1), value)
            level, index = level + 1, index >> 1
            tree.memo[(level, index)] = value
            nodes.append(LogNode(level=level, index=index, hash=value.hex()))
    LogLeaf.objects.using(db).bulk_create(leaves)
    LogNode.objects.using(db).bulk_create(nodes)


def anchor_payload(anchor_id: int, at: datetime, heads: dict) -> dict:
    return {"type": "audit-anchor", "anchor_id": anchor_id, "at": at.isoformat(), "heads": heads,
            "issuer": _issuer()}


def anchors_log() -> int:
    """Sign every audit anchor not yet in the public log and append it (beat runs this right after taking
    an anchor). Returns how many were appended."""
    db = vault_db()
    last = AnchorEntry.objects.using(db).aggregate(last=Max("anchor_id"))["last"] or 0
    anchors = list(AuditAnchor.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "at", "heads"))
    entries = [AnchorEntry(anchor_id=pk, at=at, heads=heads, signed=proof_sign(anchor_payload(pk, at, heads)))
               for pk, at, heads in anchors]
    if entries:
        with transaction.atomic(using=db):
            AnchorEntry.objects.using(db).bulk_create(entries)
            _leaves_append([(e.signed, None, e.anchor_id) for e in entries])
    return len(entries)


def tree_head_publish() -> TreeHead | None:
    """Sign and keep a head for the log's current size (beat runs this). None if nothing was added."""
    db = vault_db()
    with transaction.atomic(using=db):
        size = log_size()
        if size == 0 or TreeHead.objects.using(db).filter(size=size).exists():
            return None
        now = timezone.now()
        root = Subtrees()(0, size).hex()
        signed = proof_sign({"type": "tree-head", "size": size, "root_hash": root, "published_at": now.isoformat()})
        head = TreeHead.objects.using(db).create(size=size, root_hash=root, published_at=now, signed=signed)
    with audited_transaction():
        audit_record(actor=Actor.system("transparency"), verb=Verb.TREE_HEAD_PUBLISHED, target=str(size),
                     detail={"root_hash": root})
    logger.info("tree head published size=%s root=%s", size, root)
    return head


def head_json(head: TreeHead) -> dict:
    return {"size": head.size, "root_hash": head.root_hash, "published_at": head.published_at.isoformat(),
            "signed": head.signed}


def inclusion_proof(*, leaf_hash: str, size: int) -> dict | None:
    """The audit path of a leaf (by its hash, hex) in the tree of `size`; None if not in that tree."""
    leaf = LogLeaf.objects.using(vault_db()).filter(leaf_hash=leaf_hash.lower()).first()
    if leaf is None or leaf.index >= size or size > log_size():
        return None
    tree = Subtrees()
    tree.load_for(lambda mth: merkle.inclusion_proof(mth, leaf.index, size))
    proof = merkle.inclusion_proof(tree, leaf.index, size)
    return {"leaf_index": leaf.index, "tree_size": size, "leaf_hash": leaf.leaf_hash,
            "proof": [p.hex() for p in proof]}


def consistency_proof(*, first: int, second: int) -> dict:
    if not 0 < first <= second <= log_size():
        raise ValueError("need 0 < first <= second <= the log's size")
    tree = Subtrees()
    tree.load_for(lambda mth: merkle.consistency_proof(mth, first, second))
    return {"first": first, "second": second, "proof": [p.hex() for p in merkle.consistency_proof(
        tree, first, second)]}


@dataclass
class LogReport:
    leaves: int = 0
    heads: int = 0
    certificates: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _levels(leaves: list[bytes]) -> list[list[bytes]]:
    """Every complete aligned subtree's hash, level by level (level 0: the leaves). O(n) hashing, once."""
    levels = [leaves]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([merkle.node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)])
    return levels


def _mth_from(levels: list[list[bytes]]) -> merkle.Subtree:
    def mth(start: int, end: int) -> bytes:
        n = end - start
        if n == 0:
            return merkle.EMPTY_ROOT
        if n & (n - 1) == 0 and start % n == 0:
            level = n.bit_length() - 1
            return levels[level][start >> level]
        k = merkle.split(n)
        return merkle.node_hash(mth(start, start + k), mth(start + k, end))

    return mth


SIGNED_FIELDS = ["certificate_id", "subject_id", "reason", "categories", "counts", "key_destroyed_at",
                 "completed_at", "notice"]  # notice: absent from certificates signed before it existed


def log_verify(*, witness: list[dict] | None = None) -> LogReport:
    """Rebuild the tree from the stored leaves and check everything against it: each leaf belongs to a
    certificate that still says what was signed, every signed certificate is in the log, every stored
    subtree, every published head (signature and root), and consistency between consecutive heads.

    Then what lives outside the key store: every certificate another model names (an erasure job's
    `certificate_id`) is there and in the log, every head the audit log records as published is still
    the log's tree, and every head a witness saw (`witness`) is consistent with the log as it is now.
    Dropping the newest certificates with their leaves and heads passes the first checks, not these."""
    db, report = vault_db(), LogReport()
    leaves: list[bytes] = []
    leaf_of: dict = {}
    anchor_leaf_of: dict = {}
    for index, value, certificate_id, anchor_id in (LogLeaf.objects.using(db).order_by("index").values_list(
            "index", "leaf_hash", "certificate_id", "anchor_id").iterator()):
        if index != len(leaves):
            report.problems.append(f"leaf {len(leaves)} is missing")
        leaves.append(bytes.fromhex(value))
        if certificate_id is not None:
            leaf_of[certificate_id] = value
        else:
            anchor_leaf_of[anchor_id] = value
    report.leaves = len(leaves)
    _certificates_verify(db, leaf_of, report)
    _anchors_verify(db, anchor_leaf_of, report)
    levels = _levels(leaves)
    mth = _mth_from(levels)
    for level, index, value in LogNode.objects.using(db).values_list("level", "index", "hash").iterator():
        if level >= len(levels) or index >= len(levels[level]) or levels[level][index].hex() != value:
            report.problems.append(f"stored subtree {level}/{index} does not match the leaves")
    _heads_verify(db, mth, len(leaves), report)
    _references_verify(db, leaf_of, report)
    _audited_heads_verify(db, mth, len(leaves), report)
    for head in witness or []:
        _witnessed_head_verify(head, mth, len(leaves), report)
    return report


def _anchors_verify(db: str, anchor_leaf_of: dict, report: LogReport) -> None:
    """Every audit anchor in the log is signed and in its leaf, still in the audit log unchanged, and the
    audit log still holds every event the newest one anchors: deleting audit events and their anchors
    from the database leaves the public log saying the audit log was longer."""
    entries = list(AnchorEntry.objects.using(db).order_by("anchor_id"))
    for anchor_id in anchor_leaf_of.keys() - {e.anchor_id for e in entries}:
        report.problems.append(f"audit anchor {anchor_id} is in the log but no longer in the key store")
    in_audit_log = dict(AuditAnchor.objects.filter(pk__in=[e.anchor_id for e in entries]).values_list("pk", "heads"))
    for entry in entries:
        name = f"audit anchor {entry.anchor_id}"
        if entry.anchor_id not in anchor_leaf_of:
            report.problems.append(f"{name} is not in the log")
        elif anchor_leaf_of[entry.anchor_id] != merkle.leaf_hash(entry.signed.encode()).hex():
            report.problems.append(f"{name} does not match its leaf in the log")
        try:
            payload = proof_verify(entry.signed)
        except ProofInvalid as exc:
            report.problems.append(f"{name}: {exc}")
            continue
        expected = anchor_payload(entry.anchor_id, entry.at, entry.heads)
        if any(payload.get(k) != expected[k] for k in ("anchor_id", "at", "heads")):
            report.problems.append(f"{name} no longer says what was signed")
        if in_audit_log.get(entry.anchor_id) != entry.heads:
            report.problems.append(f"{name} is in the public log but gone from the audit log, or changed there")
    if entries:
        _audit_log_reaches(entries[-1], report)


def _audit_log_reaches(entry: AnchorEntry, report: LogReport) -> None:
    """The audit log still has, unchanged, the newest event of each chain this anchor holds."""
    heads = dict(AuditChainHead.objects.values_list("chain", "seq"))
    wanted = Q()
    for chain, (seq, _value) in entry.heads.items():
        wanted |= Q(chain=int(chain), seq=int(seq))
    found = {(c, s): h for c, s, h in AuditEvent.objects.filter(wanted).values_list("chain", "seq", "hash")}
    for chain, (seq, value) in sorted(entry.heads.items()):
        if heads.get(int(chain), 0) < int(seq) or found.get((int(chain), int(seq))) != value:
            report.problems.append(f"the audit log was cut: chain {chain} no longer has event {seq} as the public "
                                   f"log's audit anchor {entry.anchor_id} of {entry.at.isoformat()} holds it")


def certificate_references() -> list[type[models.Model]]:
    """The models outside the key store that name a deletion certificate: by a UUID column
    `certificate_id` (an erasure job, an erasure notice). Found through the app registry, not imported."""
    return [model for model in django_apps.get_models() if model._meta.app_label != "vault"
            and any(f.name == "certificate_id" and isinstance(f, models.UUIDField)
                    for f in model._meta.concrete_fields)]


def _references_verify(db: str, leaf_of: dict, report: LogReport) -> None:
    """Every certificate another table names is still in the key store and in the log."""
    stored = set(DeletionCertificate.objects.using(db).values_list("pk", flat=True))
    for model in certificate_references():
        named = model._default_manager.exclude(certificate_id=None).values_list("pk", "certificate_id")
        for pk, certificate_id in named.iterator():
            if certificate_id not in stored:
                report.problems.append(f"{model._meta.label} {pk} names certificate {certificate_id}, which is no "
                                       "longer in the key store")
            elif certificate_id not in leaf_of:
                report.problems.append(f"{model._meta.label} {pk} names certificate {certificate_id}, which is not "
                                       "in the log")


def _audited_heads_verify(db: str, mth: merkle.Subtree, size: int, report: LogReport) -> None:
    """Every tree head the audit log records as published is still a stored head and the log's tree."""
    stored = dict(TreeHead.objects.using(db).values_list("size", "root_hash"))
    events = AuditEvent.objects.filter(verb=Verb.TREE_HEAD_PUBLISHED).values_list("target", "detail")
    for target, detail in events.iterator():
        published, root = int(target), str((detail or {}).get("root_hash", ""))
        if published > size or mth(0, published).hex() != root:
            report.problems.append(f"the audit log records tree head {published} as published; the log no longer "
                                   "has that tree")
        elif stored.get(published) != root:
            report.problems.append(f"the audit log records tree head {published} as published; the head is gone")


def witness_heads(lines: Iterable[str]) -> list[dict]:
    """The heads a witness saw: one JSON object a line ({"size", "root_hash"}, and "signed" when kept)."""
    heads = []
    for line in lines:
        if line.strip():
            head = json.loads(line)
            heads.append({"size": int(head["size"]), "root_hash": str(head["root_hash"]),
                          "signed": head.get("signed", "")})
    return heads


def _witnessed_head_verify(head: dict, mth: merkle.Subtree, size: int, report: LogReport) -> None:
    """A head a witness saw: signed by us (when the witness kept the signature), and the log now is a
    consistent extension of it (proved with a consistency proof from it to the log's size)."""
    seen, root = head["size"], head["root_hash"]
    if head.get("signed"):
        try:
            signed = proof_verify(head["signed"])
        except ProofInvalid as exc:
            report.problems.append(f"witnessed head {seen}: {exc}")
            return
        if signed.get("size") != seen or signed.get("root_hash") != root:
            report.problems.append(f"witnessed head {seen} differs from what was signed")
            return
    if seen > size:
        report.problems.append(f"a witness saw tree head {seen}; the log has only {size} leaves (rolled back)")
        return
    if seen and not merkle.verify_consistency(seen, size, merkle.consistency_proof(mth, seen, size),
                                              bytes.fromhex(root), mth(0, size)):
        report.problems.append(f"a witness saw tree head {seen}; the log is not consistent with it (forked)")


def _certificates_verify(db: str, leaf_of: dict, report: LogReport) -> None:
    """Every signed certificate is in the log under its own leaf and still says what was signed."""
    certificates = {pk: (signed, fields) for pk, signed, *fields in DeletionCertificate.objects.using(db)
                    .values_list("pk", "signed", "subject_id", "reason", "categories", "counts", "key_destroyed_at",
                                 "completed_at", "notice").iterator()}
    for pk in leaf_of.keys() - certificates.keys():
        report.problems.append(f"certificate {pk} is in the log but no longer in the key store")
    for pk, (signed, fields) in certificates.items():
        if not signed:
            if pk in leaf_of:
                report.problems.append(f"certificate {pk} is in the log but its signed form is gone")
            continue  # written before certificates were signed
        report.certificates += 1
        if pk not in leaf_of:
            report.problems.append(f"certificate {pk} is not in the log")
        elif leaf_of[pk] != merkle.leaf_hash(signed.encode()).hex():
            report.problems.append(f"certificate {pk} does not match its leaf in the log")
        try:
            payload = proof_verify(signed)
        except ProofInvalid as exc:
            report.problems.append(f"certificate {pk}: {exc}")
            continue
        stored = dict(zip(SIGNED_FIELDS, [str(pk), str(fields[0]), fields[1], list(fields[2]), dict(fields[3]),
                                          fields[4].isoformat(), fields[5].isoformat(), fields[6]],
                          strict=True))
        if any(payload.get(name, "") != value for name, value in stored.items()):
            report.problems.append(f"certificate {pk} no longer says what was signed")


def _heads_verify(db: str, mth, size: int, report: LogReport) -> None:
    """Every published head is signed, names the tree the log still has, and is consistent with the one before."""
    previous = None
    for head in TreeHead.objects.using(db).order_by("size"):
        report.heads += 1
        try:
            signed = proof_verify(head.signed)
        except ProofInvalid as exc:
            report.problems.append(f"tree head {head.size}: {exc}")
            continue
        if signed.get("size") != head.size or signed.get("root_hash") != head.root_hash:
            report.problems.append(f"tree head {head.size} differs from what was signed")
        if head.size > size or mth(0, head.size).hex() != head.root_hash:
            report.problems.append(f"tree head {head.size}: the log no longer has the tree that head published")
        elif previous is not None and not merkle.verify_consistency(
                previous.size, head.size, merkle.consistency_proof(mth, previous.size, head.size),
                bytes.fromhex(previous.root_hash), bytes.fromhex(head.root_hash)):
            report.problems.append(f"tree heads {previous.size} and {head.size} are not consistent")
        previous = head


# The consent app (above this one) names a purpose by its slug in the active language: registered in
# ConsentConfig.ready(), as the policy's purpose rows are.
PurposeName = Callable[[str], str | None]
_purpose_names: list[PurposeName] = []


def purpose_names_register(lookup: PurposeName) -> None:
    _purpose_names[:] = [lookup]


LOGGED_KINDS = frozenset({"deletion-certificate", "audit-anchor"})  # signed documents that are leaves of the log


@dataclass
class Check:
    """What /verify/ tells a person about a proof they pasted."""

    valid: bool
    problem: str = ""
    payload: dict = field(default_factory=dict)
    included: bool | None = None  # certificates and audit anchors: in the latest published tree head?
    head_size: int | None = None  # the latest published head's size
    leaf_index: int | None = None
    log_size: int | None = None  # tree heads: the log's size now
    still_holds: bool | None = None  # tree heads: the log now still begins with exactly the tree that head signed

    @property
    def kind(self) -> str:
        return str(self.payload.get("type", ""))

    @property
    def signer(self) -> dict:
        """Who signed a receipt (its controller) or a certificate (its issuer): name and ODPC registration."""
        who = self.payload.get("controller") or self.payload.get("issuer")
        if not isinstance(who, dict) or not who.get("registration"):
            return {}
        return {"name": str(who.get("name", "")), "registration": str(who["registration"])}

    @property
    def when(self) -> datetime | None:
        """When the consent was recorded, the deletion completed, the anchor taken or the head published."""
        value = next((self.payload[k] for k in ("completed_at", "recorded_at", "at", "published_at")
                      if self.payload.get(k)), None)
        try:
            return datetime.fromisoformat(value) if value else None
        except (TypeError, ValueError):
            return None

    @property
    def purpose_name(self) -> str:
        """A consent receipt's purpose by its name in the reader's language (its id if no longer known)."""
        purpose = self.payload.get("purpose")
        slug = str(purpose.get("id") or "") if isinstance(purpose, dict) else ""
        names = (lookup(slug) for lookup in _purpose_names) if slug else ()
        return next((name for name in names if name), slug)

    @property
    def chains(self) -> int:
        """An audit anchor: how many audit chains it holds the heads of."""
        heads = self.payload.get("heads")
        return len(heads) if isinstance(heads, dict) else 0

    @property
    def recipient(self) -> str:
        """A disclosure choice receipt's recipient, in the reader's language if the receipt has it."""
        names = (self.payload.get("disclosure") or {}).get("recipient") or {}
        if not isinstance(names, dict):
            return ""
        return str(names.get(translation.get_language() or "") or names.get(settings.LANGUAGE_CODE) or "")


def certificate_check(*, certificate_id: str) -> Check:
    """/verify/?certificate=<id> (the link in a deletion notice): the certificate we hold under that id, checked
    as if it had been pasted. Not valid if we hold none."""
    try:
        pk = uuid.UUID(certificate_id)
    except ValueError:
        return Check(valid=False, problem="not a certificate id")
    signed = DeletionCertificate.objects.using(vault_db()).filter(pk=pk).values_list("signed", flat=True).first()
    return proof_check(token=signed) if signed else Check(valid=False, problem="no such certificate")


def proof_check(*, token: str) -> Check:
    """Check a receipt, certificate, audit anchor or tree head: its signature; for a certificate or an anchor,
    its inclusion in the latest published head; for a tree head, whether the log still holds that tree."""
    token = signed_of(token.strip())
    try:
        payload = proof_verify(token)
    except ProofInvalid as exc:
        return Check(valid=False, problem=str(exc))
    check = Check(valid=True, payload=payload)
    if check.kind == "tree-head":
        return _head_check(check)
    if check.kind not in LOGGED_KINDS:
        return check
    head = TreeHead.objects.using(vault_db()).order_by("-size").first()
    leaf_hash = merkle.leaf_hash(token.encode())
    proof = inclusion_proof(leaf_hash=leaf_hash.hex(), size=head.size) if head else None
    check.head_size = head.size if head else None
    check.included = bool(proof) and merkle.verify_inclusion(
        leaf_hash, proof["leaf_index"], head.size, [bytes.fromhex(p) for p in proof["proof"]],
        bytes.fromhex(head.root_hash))
    check.leaf_index = proof["leaf_index"] if proof else None
    return check


def _head_check(check: Check) -> Check:
    """A tree head we signed: does the log today still begin with exactly the tree it describes? (If not,
    entries it covered were changed or removed: what a witness holding it would find.)"""
    size, root = check.payload.get("size"), check.payload.get("root_hash")
    check.log_size = log_size()
    if not isinstance(size, int) or not isinstance(root, str) or size <= 0:
        check.still_holds = False
        return check
    try:
        check.still_holds = size <= check.log_size and Subtrees()(0, size).hex() == root
    except LookupError:  # a stored subtree is missing
        check.still_holds = False
    return check
