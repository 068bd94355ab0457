"""Client companies' API tokens, and the Idempotency-Key answers of the candidates they handed over."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.subjects.models import Controller, DataSubject


class Scope(models.TextChoices):
    CANDIDATES_WRITE = "candidates:write", _("Hand over candidates")
    CANDIDATES_READ_STATUS = "candidates:read-status", _("Read a candidate's status (never their data)")
    ENGAGEMENTS_COMPLETE = "engagements:complete", _("Complete services and close vacancies (erases people)")
    VACANCIES_READ = "vacancies:read", _("List the client's vacancies")


class ApiToken(models.Model):
    """A client company's key to the API. The secret is shown once, when it is made; we keep only its
    SHA-256. The public prefix tells staff (and the audit log) which token was used."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    controller = models.ForeignKey(Controller, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100, help_text=_("What it is for, e.g. 'ATS integration'."))
    prefix = models.CharField(max_length=16, unique=True, editable=False)  # token_authenticate: by prefix
    secret_sha256 = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(_("expires at"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=64, blank=True, editable=False)  # staff user id
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["controller", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} (pp_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()


class IdempotencyKey(models.Model):
    """The first answer to a POST with an Idempotency-Key, per client company: a repeat with the same body
    gets the same answer and creates nothing; the same key with another body is refused (409)."""

    controller = models.ForeignKey(Controller, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=100)
    request_sha256 = models.CharField(max_length=64)
    # The person it created or found: the answer names only their pseudonymous id.
    subject = models.ForeignKey(DataSubject, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    status_code = models.PositiveSmallIntegerField()
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # candidate_hand_over: one answer per client company and key
            models.UniqueConstraint(fields=["controller", "key"], name="api_idempotency_key_unique"),
        ]
        indexes = [
            # idempotency_keys_expire: rows older than a cut-off
            models.Index(fields=["created_at"], name="api_idempotency_created_idx"),
        ]

    def __str__(self) -> str:
        return f"idempotency key {self.pk}"
