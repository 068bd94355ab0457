"""Every email and SMS we send is a row, written before it is queued."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.subjects.models import DataSubject
from apps.vault.fields import EncryptedCharField, EncryptedJSONField


class Notification(models.Model):
    """One message to one recipient. The address and the template's context (which can hold a
    private link or a one-time code) are sealed with the person's key, so erasing them shreds these too."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Erasure (through the personal-data map) filters on this foreign key's own index.
    subject = models.ForeignKey(DataSubject, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="notifications")
    # A message about a form nobody has confirmed yet (apps.recruitment: the code that proves the address): no
    # person exists, so it is sealed with the form's own key and deleted with it. Exactly one of the two is set.
    intake_id = models.UUIDField(null=True, blank=True, db_index=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    template = models.SlugField(max_length=64, db_index=False)
    language = models.CharField(max_length=16, default="en")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    provider_message_id = models.CharField(max_length=255, blank=True)
    # The exception's class name only: messages from SMTP servers and SMS gateways can quote the address.
    last_error = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the send was last handed to the broker; after a transient failure, when its retry is due.
    queued_at = models.DateTimeField(null=True, blank=True)
    # When a worker last claimed it (status SENDING); a claim this old means the worker died.
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The worker process that claimed it (apps.core.liveness.process_id): once that process is
    # gone, the sweep hands the row back without waiting for the timeout. Empty: unknown.
    claimed_by = models.CharField(max_length=100, blank=True)
    # When the provider accepted it (its answer, written at once, row by row, before the row says SENT
    # with its audit event): a row left SENDING with this set was sent and is never sent again, whatever
    # happened to the worker or the broker since.
    accepted_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    recipient = EncryptedCharField(max_length=254)
    context = EncryptedJSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(channel__in=["email", "sms"]), name="notification_channel_valid"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed"]), name="notification_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False), name="notification_sent_has_sent_at"
            ),
            models.CheckConstraint(condition=Q(subject__isnull=True) ^ Q(intake_id__isnull=True),
                                   name="notification_one_owner"),
        ]
        indexes = [
            # notifications_redrive: pending rows queued before a cut-off (and the few sending ones by status)
            models.Index(fields=["status", "queued_at"], name="notification_status_queued_idx"),
            # the admin list, newest first
            models.Index(fields=["-created_at"], name="notification_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.template} {self.pk} ({self.status})"

    def vault_subject_id(self) -> uuid.UUID:
        return self.owner_id

    @property
    def owner_id(self) -> uuid.UUID:
        """Whose key seals it, and whom its audit events name: the person, or the unconfirmed form."""
        return self.subject_id or self.intake_id

    @property
    def is_sent(self) -> bool:
        return self.status == self.Status.SENT


class ErasureNotice(models.Model):
    """The one message (email, or SMS where we hold only a number) that tells a person their data is deleted,
    with the certificate, whatever ended their service.

    It must reach an address we are in the middle of forgetting, so it cannot be a Notification (sealed
    with the person's key, which erasure destroys, and deleted with them). Before the erasure starts the
    address is sealed here under a random key of its own that is never written to the database: it lives
    only in the shared cache (Redis), with a time-to-live of ERASURE_NOTICE_HOURS. The row is deleted (and
    the key with it) as soon as the message is sent, fails for good, or expires; a database backup holds
    only ciphertext whose key expires by itself. No foreign key to the person: erasure neither waits for
    this message nor deletes it, and the row names only the pseudonymous id the certificate names too."""

    class State(models.TextChoices):
        WAITING = "waiting", "Waiting for the certificate"
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"  # only where we hold a mobile number and no email address

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject_id = models.UUIDField()  # pseudonymous, as on the certificate; to find the certificate when it exists
    certificate_id = models.UUIDField(null=True, blank=True)
    language = models.CharField(max_length=16, default="en")
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    state = models.CharField(max_length=16, choices=State.choices, default=State.WAITING)
    attempts = models.PositiveIntegerField(default=0)
    sealed_recipient = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(state__in=["waiting", "pending", "sending"]),
                                   name="erasure_notice_state_valid"),
            models.CheckConstraint(condition=Q(channel__in=["email", "sms"]), name="erasure_notice_channel_valid"),
            # One notice per person: a retried or re-run erasure finds it rather than sealing a second one.
            models.UniqueConstraint(fields=["subject_id"], name="erasure_notice_one_per_person"),
        ]
        indexes = [
            # erasure_notices_redrive: expired rows, and waiting/pending ones to move on
            models.Index(fields=["expires_at"], name="erasure_notice_expires_idx"),
        ]

    def __str__(self) -> str:
        return f"erasure notice {self.pk} ({self.state})"
