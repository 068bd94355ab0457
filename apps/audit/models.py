"""Append-only, hash-chained audit events. No personal data: ids and verbs only.

Events are spread over a fixed number of chains so that concurrent writers do not queue
behind one lock (see bench/audit.py). Each chain has a head row holding its last sequence
number and hash; an event stores its predecessor's hash and its own hash over a canonical
serialisation. Editing, deleting or dropping the newest event of a chain all break it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Verb(models.TextChoices):
    """The closed set of things the audit log records; writing any other verb fails."""

    SUBJECT_CREATED = "subject.created"
    RECORD_CORRECTED = "record.corrected"
    ENQUIRY_RECEIVED = "enquiry.received"
    LINKS_REVOKED = "links.revoked"
    DOCUMENT_ADDED = "document.added"
    ENGAGEMENT_OPENED = "engagement.opened"
    ENGAGEMENT_CHANGED = "engagement.changed"
    ENGAGEMENT_COMPLETED = "engagement.completed"
    ENGAGEMENT_EXPIRED = "engagement.expired"
    ENGAGEMENT_KEPT = "engagement.kept"
    ERASURE_REQUESTED = "erasure.requested"
    SUBJECT_ERASED = "subject.erased"
    SUBJECT_PARTIALLY_ERASED = "subject.partially_erased"
    SUBJECT_ERASURE_REAPPLIED = "subject.erasure_reapplied"
    LEGAL_HOLD_PLACED = "legal_hold.placed"
    RETENTION_ROWS_DELETED = "retention.rows_deleted"
    RETENTION_NOTICE_SENT = "retention.notice_sent"
    PII_REVEALED = "pii.revealed"
    PII_VIEWED_BY_SUBJECT = "pii.viewed_by_subject"
    DATA_EXPORTED = "data.exported"
    CONSENT_GIVEN = "consent.given"
    CONSENT_WITHDRAWN = "consent.withdrawn"
    PURPOSE_SAVED = "purpose.saved"
    PURPOSE_NOTICE_VERSIONED = "purpose.notice_versioned"
    POLICY_VERSION_SAVED = "policy_version.saved"
    POLICY_VERSION_IN_FORCE = "policy_version.in_force"
    CAMPAIGN_STARTED = "campaign.started"
    CAMPAIGN_BATCH_QUEUED = "campaign.batch_queued"
    CAMPAIGN_RETRIED = "campaign.retried"
    CAMPAIGN_CALL_RECORDED = "campaign.call_recorded"
    DISCLOSURE_OPTED_OUT = "disclosure.opted_out"
    DISCLOSURE_OPTED_IN = "disclosure.opted_in"
    DISCLOSURE_RECORDED = "disclosure.recorded"
    DISCLOSURE_REFUSED = "disclosure.refused"
    REFEREE_OBJECTED = "referee.objected"
    NOTIFICATION_QUEUED = "notification.queued"
    NOTIFICATION_SENT = "notification.sent"
    NOTIFICATION_FAILED = "notification.failed"
    NOTIFICATION_SKIPPED = "notification.skipped"  # not queued: the number had all the SMS it may have for now
    NOTIFICATIONS_ERASED = "notifications.erased"
    STEPUP_SENT = "stepup.sent"
    STEPUP_FAILED = "stepup.failed"
    STEPUP_VERIFIED = "stepup.verified"
    KEYS_REWRAPPED = "keys.rewrapped"
    TREE_HEAD_PUBLISHED = "transparency.head_published"
    POLICY_PUBLISHED = "policy.published"
    PURPOSE_CREATED = "purpose.created"
    REFEREE_NOTICE_SKIPPED = "referee.notice_skipped"
    # staff (apps.staff)
    STAFF_TWO_FACTOR_ENROLLED = "staff.two_factor_enrolled"
    STAFF_ROLES_SYNCED = "staff.roles_synced"
    LINK_SENT_BY_STAFF = "link.sent_by_staff"
    AUDIT_VERIFIED = "audit.verified"
    ENQUIRY_ANSWERED = "enquiry.answered"
    RIGHTS_REQUEST_RECEIVED = "rights_request.received"
    RIGHTS_REQUEST_CHANGED = "rights_request.changed"
    RIGHTS_REQUEST_COMPLETED = "rights_request.completed"
    BREACH_RECORDED = "breach.recorded"
    # transfers outside Kenya (Act ss.48-50; apps.core.transfers): a recipient's country and safeguard, no values
    TRANSFER_ABROAD = "transfer.abroad"
    TRANSFER_REFUSED = "transfer.refused"
    RECIPIENT_TRANSFER_CHANGED = "recipient.transfer_changed"
    BREACH_UPDATED = "breach.updated"
    # vacancies and applications (apps.subjects.services.vacancies, apps.consent.services)
    VACANCY_SAVED = "vacancy.saved"
    VACANCY_CLOSED = "vacancy.closed"
    APPLICATION_UPDATED = "application.updated"
    SUBJECT_MATCHED = "subject.matched"
    # a public form that matched a person we know waits for that person's confirmation (apps.consent.services)
    PENDING_REQUEST_HELD = "pending_request.held"
    PENDING_REQUEST_CONFIRMED = "pending_request.confirmed"
    PENDING_REQUEST_DISCARDED = "pending_request.discarded"
    PENDING_REQUEST_EXPIRED = "pending_request.expired"
    # a form from the website, held until the address's owner proves it (apps.recruitment.intake)
    INTAKE_HELD = "intake.held"
    INTAKE_CONFIRMED = "intake.confirmed"
    INTAKE_DISCARDED = "intake.discarded"
    INTAKE_EXPIRED = "intake.expired"
    INTAKE_CODE_WRONG = "intake.code_wrong"
    UPLOAD_KEPT = "upload.kept"  # a file of a form that came back with mistakes, kept for a few minutes
    DOCUMENT_REMOVED = "document.removed"
    BREACH_PERSON_NOTIFIED = "breach.person_notified"
    SUBJECT_RESTRICTED = "subject.restricted"
    SUBJECT_RESTRICTION_LIFTED = "subject.restriction_lifted"
    STAFF_ENROLMENT_ISSUED = "staff.enrolment_issued"
    # a bulk action erasing more people than STAFF_BULK_ERASURE_LIMIT (apps.subjects.services.bulk)
    BULK_ERASURE_APPROVED = "bulk_erasure.approved"
    BULK_ERASURE_APPROVAL_REFUSED = "bulk_erasure.approval_refused"
    # controller API (apps.api)
    CONTROLLER_SAVED = "controller.saved"
    API_TOKEN_CREATED = "api_token.created"  # noqa: S105 (a verb, not a secret)
    API_TOKEN_REVOKED = "api_token.revoked"  # noqa: S105 (a verb, not a secret)
    API_CALLED = "api.called"
    # an address reached the failed sign-in limit: once per lock, never the address (apps.api, apps.staff)
    API_ADDRESS_LOCKED = "api.address_locked"
    STAFF_SIGN_IN_LOCKED = "staff.sign_in_locked"
    # the log's own shape (apps.audit.services): each chain starts with one, written when its head is created
    AUDIT_GENESIS = "audit.genesis"


class AuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("audit events are append-only")

    def delete(self):
        raise PermissionError("audit events are append-only")

    def bulk_update(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


class AuditEvent(models.Model):
    class ActorType(models.TextChoices):
        STAFF = "staff", _("Staff user")
        SUBJECT = "subject", _("Data subject")
        SYSTEM = "system", _("System")
        CONTROLLER = "controller", _("Controller (client company)")

    chain = models.PositiveSmallIntegerField()
    seq = models.PositiveBigIntegerField()
    at = models.DateTimeField()
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True)  # staff user id, controller id, subject public id
    verb = models.CharField(max_length=64)
    target = models.CharField(max_length=64, blank=True)  # a public id
    detail = models.JSONField(default=dict, blank=True)  # ids, counts, field names; never values
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["at", "chain", "seq"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="audit_chain_seq_unique")]
        indexes = [
            # admin and subject history: events about one public id
            models.Index(fields=["target", "at"], name="audit_target_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.verb} {self.target}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit events are append-only")


class AuditChainHead(models.Model):
    chain = models.PositiveSmallIntegerField(primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64)

    def __str__(self) -> str:
        return f"chain {self.chain} at {self.seq}"


class AuditAnchor(models.Model):
    """The chain heads at a time, kept so that verification knows how long the log already was: a head
    older than the newest anchor, or an anchored event that is gone or changed, means the log was cut
    short. Copies live outside the database too (log lines, emails, the public transparency log).
    Append-only; holds sequence numbers and hashes, nothing about a person."""

    at = models.DateTimeField()
    heads = models.JSONField()  # {"<chain>": [seq, hash]}

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"anchor of {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionError("audit anchors are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("audit anchors are append-only")
