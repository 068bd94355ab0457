"""The key store: kept apart from the personal data (own tables, optionally own database).

Operators back up the main database for the long term *without* these tables and keep the key
store's backups short, so destroying a data key here makes every copy of that person's data,
backups included, unreadable.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DataKey(models.Model):
    """One person's data key (DEK), stored only wrapped by a master key."""

    # The subject's public id; no foreign key, since the key store may live in its own database.
    subject_id = models.UUIDField(primary_key=True)
    wrapped_key = models.BinaryField()
    master_key_id = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    rewrapped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # rotate_master_key: keys not yet under the newest master key
            models.Index(fields=["master_key_id"], name="vault_datakey_master_idx"),
        ]

    def __str__(self) -> str:
        return f"data key of {self.subject_id}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("certificates and the transparency log are append-only")

    def delete(self):
        raise PermissionError("certificates and the transparency log are append-only")


class AppendOnly(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionError("certificates and the transparency log are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("certificates and the transparency log are append-only")


class DeletionCertificate(AppendOnly):
    """Proof that a person's data was destroyed. Holds no personal data."""

    class Reason(models.TextChoices):
        SERVICE_COMPLETE = "service-complete", _("Service complete")
        SUBJECT_REQUEST = "subject-request", _("Subject request")
        RETENTION = "retention", _("Retention period ended")

    class Notice(models.TextChoices):
        """How the person is told, decided before their key went (apps/notifications/erasure_notices.py)."""

        EMAIL = "email", _("Told by email, with this certificate")
        SMS = "sms", _("Told by SMS")
        NONE = "none", _("No address to tell")
        UNDELIVERABLE = "undeliverable", _("The notice could not be prepared before the key was destroyed")

    id = models.UUIDField(primary_key=True)
    subject_id = models.UUIDField(unique=True)
    reason = models.CharField(max_length=32, choices=Reason.choices)
    categories = models.JSONField(default=list)  # e.g. ["identity", "contact", "documents"]
    counts = models.JSONField(default=dict)  # rows/files destroyed per kind
    key_destroyed_at = models.DateTimeField()
    completed_at = models.DateTimeField()
    job_id = models.CharField(max_length=64, blank=True)
    # How the person is told of it (Notice); empty on certificates written before notices for every ending.
    notice = models.CharField(max_length=16, blank=True, default="")
    # The certificate signed with PROOF_SIGNING_KEYS (JWS), as the person receives it; its hash is in the
    # public transparency log.
    signed = models.TextField(blank=True)

    class Meta:
        ordering = ["-completed_at"]

    def __str__(self) -> str:
        return f"certificate {self.id}"


class LogLeaf(AppendOnly):
    """One signed deletion certificate (or audit anchor) in the public log (RFC 9162): its leaf hash,
    SHA-256(0x00 || the JWS). Nothing personal: a hash of a signed document that itself names only a
    pseudonymous id (or sequence numbers and hashes)."""

    index = models.PositiveBigIntegerField(primary_key=True)
    leaf_hash = models.CharField(max_length=64, unique=True)  # /transparency/proof/inclusion?hash=…
    certificate_id = models.UUIDField(unique=True, null=True)  # verify_transparency_log: every certificate is in
    # Or an audit anchor (AnchorEntry): the audit log's chain heads, so cutting the audit log forks this log.
    anchor_id = models.PositiveBigIntegerField(unique=True, null=True)
    appended_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"leaf {self.index}"


class LogNode(AppendOnly):
    """The hash of a complete subtree: 2**level leaves from index * 2**level (level >= 1). Stored once, when
    its last leaf arrives, so a proof reads O(log n) rows instead of hashing every leaf."""

    level = models.PositiveSmallIntegerField()
    index = models.PositiveBigIntegerField()
    hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["level", "index"], name="vault_lognode_position")]

    def __str__(self) -> str:
        return f"node {self.level}/{self.index}"


class TreeHead(AppendOnly):
    """A signed tree head: the log's size and root hash at a time. Every head stays public."""

    size = models.PositiveBigIntegerField(primary_key=True)
    root_hash = models.CharField(max_length=64)
    published_at = models.DateTimeField()
    signed = models.TextField()  # JWS of {"type": "tree-head", "size", "root_hash", "published_at"}

    class Meta:
        ordering = ["-size"]

    def __str__(self) -> str:
        return f"tree head {self.size}"


class AnchorEntry(AppendOnly):
    """An audit anchor (apps.audit.models.AuditAnchor: every chain head's sequence number and hash) signed and
    appended to the public log. Removing audit events then means forking a log whose heads outsiders hold."""

    anchor_id = models.PositiveBigIntegerField(primary_key=True)  # the AuditAnchor's id, in the main database
    at = models.DateTimeField()
    heads = models.JSONField()  # {"<chain>": [seq, hash]}
    signed = models.TextField()  # JWS of {"type": "audit-anchor", "anchor_id", "at", "heads"}

    def __str__(self) -> str:
        return f"audit anchor {self.anchor_id}"
