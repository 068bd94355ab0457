"""The key store: kept apart from the personal data (own tables, optionally own database).

Operators back up the main database for the long term *without* these tables and keep the key
store's backups short, so destroying a data key here makes every copy of that person's data,
backups included, unreadable.
"""

from django.db import models


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


class DeletionCertificate(models.Model):
    """Proof that a person's data was destroyed. Holds no personal data."""

    class Reason(models.TextChoices):
        SERVICE_COMPLETE = "service-complete", "Service complete"
        SUBJECT_REQUEST = "subject-request", "Subject request"
        RETENTION = "retention", "Retention period ended"

    id = models.UUIDField(primary_key=True)
    subject_id = models.UUIDField(unique=True)
    reason = models.CharField(max_length=32, choices=Reason.choices)
    categories = models.JSONField(default=list)  # e.g. ["identity", "contact", "documents"]
    counts = models.JSONField(default=dict)  # rows/files destroyed per kind
    key_destroyed_at = models.DateTimeField()
    completed_at = models.DateTimeField()
    job_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-completed_at"]

    def __str__(self) -> str:
        return f"certificate {self.id}"
