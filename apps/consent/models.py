"""Purposes we collect for, and the append-only consent receipts."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.policies.models import PolicyVersion
from apps.subjects.models import DataSubject
from apps.vault.fields import EncryptedCharField


class Purpose(models.Model):
    class LegalBasis(models.TextChoices):
        CONSENT = "consent", _("Your consent")
        CONTRACT = "contract", _("A contract with you, or steps you asked for before one")
        LEGAL_OBLIGATION = "legal-obligation", _("A legal obligation we must meet")

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    explanation = models.TextField(help_text=_("What a visitor reads: what we do with the data and why."))
    legal_basis = models.CharField(max_length=24, choices=LegalBasis.choices, default=LegalBasis.CONSENT)
    required = models.BooleanField(default=False, help_text=_("The form cannot be sent without this consent."))
    recipients = models.CharField(max_length=300, blank=True, help_text=_("Who receives the data, if anyone."))
    retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Empty: kept until the service is complete, then deleted.")
    )
    # Which forms ask for it: "apply", "contact".
    collection_points = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "slug"]

    def __str__(self) -> str:
        return self.name


class PurposeNotice(models.Model):
    """The exact words a visitor was shown for a purpose, in one language. Never changed: editing a purpose's
    wording (or its translation) makes a new version, and old receipts keep pointing at the words they saw."""

    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="notices")
    language = models.CharField(max_length=16)
    version = models.PositiveIntegerField()
    text = models.TextField()  # one line per paragraph shown, as the page shows them
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["purpose", "language", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["purpose", "language", "version"], name="purpose_notice_version_unique"),
            # notice_current: the version with these exact words, if it exists
            models.UniqueConstraint(fields=["purpose", "language", "sha256"], name="purpose_notice_words_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose_id} notice v{self.version} ({self.language})"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionError("a notice is never changed; new words are a new version")
        super().save(*args, **kwargs)

    @property
    def paragraphs(self) -> list[str]:
        return self.text.split("\n")


class ConsentRecord(models.Model):
    """A receipt: who agreed to (or withdrew) which purpose, under which policy, seeing which words.
    Never updated; the current state is the newest receipt per purpose."""

    class Action(models.TextChoices):
        GIVEN = "given", _("Given")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Source(models.TextChoices):
        WEB_FORM = "web-form", _("Web form")
        API = "api", _("API")
        SELF_SERVICE = "self-service", _("Self-service page")
        # Staff entered consent the person gave by email or phone (collection_point says which).
        STAFF = "staff", _("Recorded by staff")
        # Handed over by a client company through the API, with the consent evidence it holds.
        CONTROLLER = "controller", _("Client company (API)")

    class ObtainedHow(models.TextChoices):
        """How a client company says it obtained the consent it hands over."""

        WEB_FORM = "web-form", _("A form on the client's website")
        PAPER_FORM = "paper-form", _("A signed paper form")
        EMAIL = "email", _("By email")
        PHONE = "phone", _("On a recorded phone call")
        IN_PERSON = "in-person", _("In person")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(DataSubject, on_delete=models.PROTECT, related_name="consents")
    purpose = models.ForeignKey(Purpose, on_delete=models.PROTECT, related_name="consents")
    action = models.CharField(max_length=16, choices=Action.choices)
    policy_version = models.ForeignKey(PolicyVersion, null=True, on_delete=models.PROTECT)
    collection_point = models.CharField(max_length=32)
    form_version = models.CharField(max_length=16)
    wording_sha256 = models.CharField(max_length=64)
    # The words shown, in the language shown (receipts written before notices were kept have none).
    notice = models.ForeignKey(PurposeNotice, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    language = models.CharField(max_length=16, blank=True)
    # The purpose's legal basis when the receipt was written (staff can change the purpose's later);
    # empty on receipts written before it was kept.
    legal_basis = models.CharField(max_length=24, choices=Purpose.LegalBasis.choices, blank=True)
    source = models.CharField(max_length=16, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the person agreed, if before this receipt was written (consent by email or phone, entered by staff).
    consented_at = models.DateTimeField(_("agreed at"), null=True, blank=True)
    # Keyed hash of the IP address, sealed with the person's key so erasure makes it unreadable.
    ip_hmac = EncryptedCharField(max_length=64, blank=True)
    user_agent_summary = models.CharField(max_length=64, blank=True)
    # Source "controller": the client company that handed the consent over, and its evidence of it (when and
    # how it obtained it, and its own reference for that evidence; no personal data).
    controller = models.ForeignKey("subjects.Controller", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    obtained_at = models.DateTimeField(null=True, blank=True)
    obtained_how = models.CharField(max_length=16, choices=ObtainedHow.choices, blank=True)
    evidence_reference = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            # consents_current_for: a person's receipts, newest per purpose
            models.Index(fields=["subject", "purpose", "created_at"], name="consent_subject_purpose_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.purpose_id} by {self.subject_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionError("consent receipts are never updated; withdrawal is a new receipt")
        super().save(*args, **kwargs)

    def vault_subject_id(self) -> uuid.UUID:
        return self.subject_id


class Submission(models.Model):
    """One sent form, keyed by the token the form carried, so a resubmission makes no second person."""

    key = models.UUIDField(primary_key=True)
    subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE, related_name="submissions")
    kind = models.CharField(max_length=16)
    purposes = models.JSONField(default=list)  # slugs consented to
    fields = models.JSONField(default=list)  # names of the fields given, never values
    # The job applied for (applications only): the done page names it.
    vacancy = models.ForeignKey("subjects.Vacancy", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # False: a form sent with the address of a person we hold, not applied (waiting for their confirmation, or
    # beyond the forms that may wait): its purposes were ticked by the sender, not agreed by the person.
    # db_default: a process still running the code before this column (a rolling deploy) can insert rows.
    applied = models.BooleanField(default=True, db_default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind} submission {self.pk}"


class RefereeNotice(models.Model):
    """A phone number was told it was named as a referee. A keyed hash, never the number; one row per
    number, so that it hears from us at most once per REFEREE_NOTICE_INTERVAL_DAYS (a row older than
    that is renewed when its number is claimed again; the others are deleted by the daily sweep)."""

    phone_digest = models.CharField(max_length=64, unique=True)  # referee_notices_claim: one per number
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)  # referee_notices_expire: stale rows

    def __str__(self) -> str:
        return f"referee notice {self.pk}"
