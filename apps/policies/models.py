"""Policy versions (immutable once published), the disclosures each allows, people's choices about a
new disclosure, the register of disclosures made, and the campaigns that tell people of a change."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.transfers import HOME_COUNTRY, Safeguard, country_code, transfer_label
from apps.notifications.models import Notification
from apps.subjects.models import DataSubject


class PolicyVersion(models.Model):
    """One text of the privacy policy. A draft can be edited; a published version never changes
    (service, admin and, on PostgreSQL, a trigger refuse it): a correction is a new version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    # Given when published: 1, 2, 3… in order of publication, so newer numbers take effect later.
    number = models.PositiveIntegerField(null=True, blank=True, unique=True, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT, editable=False)
    title = models.CharField(_("title"), max_length=200)
    summary = models.TextField(_("summary of changes"), help_text=_("What changed, in plain words."))
    body = models.TextField(_("text"), help_text=_("Markdown: ## headings, lists, links."))
    effective_at = models.DateTimeField(
        _("in force from"), null=True, blank=True,
        help_text=_("Empty: in force when published. Never earlier than the moment it is published."))
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Set once by the sweep (or by publishing) when this version became the one in force.
    in_force_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Frozen at publication, per language: {"en": {"html": …, "toc": …}}, the sanitised HTML with the
    # generated "what we hold" section, and that section's table {"en": [rows]}.
    rendered = models.JSONField(default=dict, blank=True, editable=False)
    data_table = models.JSONField(default=dict, blank=True, editable=False)

    class Meta:
        ordering = ["-number", "-id"]
        verbose_name = _("policy version")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["draft", "published"]), name="policy_status_valid"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(number__isnull=False, published_at__isnull=False,
                                                  effective_at__isnull=False),
                name="policy_published_is_complete"),
        ]
        indexes = [
            # policy_in_force: the newest published version already effective
            models.Index(fields=["status", "effective_at"], name="policy_status_effective_idx"),
        ]

    def __str__(self) -> str:
        return f"v{self.number}" if self.number else f"draft {self.pk}"

    @property
    def version(self) -> str:
        """The public name of the version ("2"), as consent receipts and links show it."""
        return str(self.number) if self.number else ""

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class PolicyDisclosure(models.Model):
    """A disclosure to a third party that a version allows. The same `key` across versions is the same
    disclosure; a key new in a version (or changed) is what people are told about and may refuse."""

    version = models.ForeignKey(PolicyVersion, on_delete=models.CASCADE, related_name="disclosures")
    key = models.SlugField(max_length=64, help_text=_("Stable name: the same disclosure keeps its key in every "
                                                      "version."))
    recipient = models.CharField(_("recipient"), max_length=200)
    recipient_category = models.CharField(_("kind of recipient"), max_length=120)
    purpose = models.CharField(_("purpose"), max_length=300)
    # The consent purpose (slug) the data was collected under; a consent-based disclosure needs it.
    purpose_slug = models.SlugField(max_length=50, blank=True)
    data_categories = models.JSONField(_("data categories"), default=list,
                                       help_text=_("From the personal-data map's categories."))
    compatible = models.BooleanField(
        _("compatible with the original purpose"), default=True,
        help_text=_("Compatible: people are told and may opt out. Not compatible: it needs their opt-in."))
    # Where the recipient processes the data (Act ss.48-50): outside Kenya, nothing is disclosed to it without a
    # recorded safeguard (apps.core.transfers).
    recipient_country = models.CharField(_("recipient's country"), max_length=2, default=HOME_COUNTRY,
                                         validators=[country_code],
                                         help_text=_("Two-letter ISO code of the country where the recipient "
                                                     "processes the data, for example KE."))
    transfer_safeguard = models.CharField(_("safeguard for a transfer outside Kenya"), max_length=24, blank=True,
                                          choices=Safeguard.choices)

    class Meta:
        ordering = ["key"]
        constraints = [models.UniqueConstraint(fields=["version", "key"], name="policy_disclosure_key_unique")]

    def __str__(self) -> str:
        return f"{self.key} ({self.recipient})"

    @property
    def transfer(self) -> str:
        return transfer_label(country=self.recipient_country, safeguard=self.transfer_safeguard)

    def terms(self) -> tuple:
        """What a person is told, in every language; a change in any of these is a change people hear about."""
        texts = tuple(getattr(self, f"{name}_{language}", None) or ""
                      for name in ("recipient", "recipient_category", "purpose")
                      for language, _name in settings.LANGUAGES)
        return (*texts, self.purpose_slug, tuple(sorted(self.data_categories)), self.compatible)


class DisclosureChoice(models.Model):
    """A receipt: a person opted out of (or in to) one disclosure, under one version. Never updated;
    the newest per disclosure key is the person's choice."""

    class Choice(models.TextChoices):
        OPTED_OUT = "opted-out", _("Opted out")
        OPTED_IN = "opted-in", _("Opted in")

    class Source(models.TextChoices):
        EMAIL_LINK = "email-link", _("Link in our message")
        SELF_SERVICE = "self-service", _("Self-service page")
        PHONE_CALL = "phone-call", _("Phone call with our staff")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(DataSubject, on_delete=models.PROTECT, related_name="disclosure_choices")
    disclosure_key = models.SlugField(max_length=64)
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=16, choices=Choice.choices)
    source = models.CharField(max_length=16, choices=Source.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(choice__in=["opted-out", "opted-in"]), name="disclosure_choice_valid"),
        ]
        indexes = [
            # disclosure_choices_for: a person's choices, newest per key
            models.Index(fields=["subject", "disclosure_key", "created_at"], name="disclosure_choice_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.choice} {self.disclosure_key} by {self.subject_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise PermissionError("choice receipts are never updated; a new choice is a new receipt")
        super().save(*args, **kwargs)


class Disclosure(models.Model):
    """The register: one time a person's data was given to a third party, and on what legal basis."""

    class LegalBasis(models.TextChoices):
        CONSENT = "consent", _("Consent")
        LEGAL_OBLIGATION = "legal-obligation", _("A legal obligation")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(DataSubject, on_delete=models.PROTECT, related_name="disclosures")
    recipient = models.CharField(_("recipient"), max_length=200)
    data_categories = models.JSONField(_("data categories"), default=list)
    legal_basis = models.CharField(_("legal basis"), max_length=24, choices=LegalBasis.choices)
    # Consent: the allowed disclosure, the version in force and the consent receipt it rests on.
    policy_disclosure = models.ForeignKey(PolicyDisclosure, null=True, blank=True, on_delete=models.PROTECT,
                                          related_name="+")
    policy_version = models.ForeignKey(PolicyVersion, null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")
    consent_receipt = models.CharField(max_length=64, blank=True)
    # Legal obligation: e.g. a court order number. Required for that basis.
    reference = models.CharField(_("reference"), max_length=120, blank=True)
    # A legal-obligation disclosure the officer may keep from the person until this date (then reviewed).
    restricted_until = models.DateField(_("hidden from the person until"), null=True, blank=True)
    disclosed_at = models.DateTimeField(_("disclosed at"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-disclosed_at"]
        constraints = [
            models.CheckConstraint(condition=Q(legal_basis__in=["consent", "legal-obligation"]),
                                   name="disclosure_basis_valid"),
            models.CheckConstraint(condition=~Q(legal_basis="legal-obligation") | ~Q(reference=""),
                                   name="disclosure_legal_obligation_has_reference"),
            models.CheckConstraint(condition=~Q(legal_basis="consent") | Q(restricted_until__isnull=True),
                                   name="disclosure_only_legal_obligation_restricted"),
        ]
        indexes = [
            # the person's page and export: their disclosures, newest first
            models.Index(fields=["subject", "-disclosed_at"], name="disclosure_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"disclosure {self.pk}"


class Campaign(models.Model):
    """Telling every affected person of one published version, in batches. One per version."""

    class Status(models.TextChoices):
        FANNING_OUT = "fanning-out", _("Writing the messages")
        FANNED_OUT = "fanned-out", _("All messages written")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.OneToOneField(PolicyVersion, on_delete=models.PROTECT, related_name="campaign")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.FANNING_OUT)
    # Before campaigns were split into batches written in parallel, the fan-out walked people in id order
    # and kept its place here. No longer written; kept so an older worker finishing such a campaign still can.
    cursor = models.UUIDField(null=True, blank=True)
    people = models.PositiveIntegerField(default=0)
    # How many CampaignBatch slices the people were split into (0: not split yet), and how many are written.
    batches = models.PositiveIntegerField(default=0, db_default=0)
    batches_done = models.PositiveIntegerField(default=0, db_default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the campaign last moved (split and published, a slice written); the sweep publishes the fan-out
    # again if nothing moved for a while.
    queued_at = models.DateTimeField(null=True, blank=True)
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=["fanning-out", "fanned-out"]), name="campaign_status_valid"),
        ]

    def __str__(self) -> str:
        return f"campaign for {self.version}"


class CampaignBatch(models.Model):
    """One slice of a campaign's people: those whose id lies in [start, end) (end empty: to the last id).
    Written whole in one transaction by one job, so slices are written in parallel by several workers and
    a crash repeats a slice, never half of one. The bounds split the id space evenly (ids are random), so
    they name no one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="slices")
    start = models.UUIDField()
    end = models.UUIDField(null=True, blank=True)
    people = models.PositiveIntegerField(default=0)
    # When the slice's job was last handed to the broker.
    queued_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "start"], name="campaign_batch_unique")]

    def __str__(self) -> str:
        return f"batch {self.start} of {self.campaign_id}"


class CampaignRecipient(models.Model):
    """One person told of one version: at most one email and one SMS (unique per person, version, channel)."""

    class CallOutcome(models.TextChoices):
        NONE = "", _("Not called")
        REACHED = "reached", _("Reached")
        OPTED_OUT = "opted-out", _("Reached, opted out")
        NO_ANSWER = "no-answer", _("No answer")

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="recipients")
    subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE, related_name="campaign_receipts")
    email = models.OneToOneField(Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sms = models.OneToOneField(Notification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    call_outcome = models.CharField(max_length=16, choices=CallOutcome.choices, blank=True, default="")
    called_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["campaign", "subject"], name="campaign_recipient_unique")]

    def __str__(self) -> str:
        return f"{self.subject_id} in {self.campaign_id}"
