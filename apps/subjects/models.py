"""People whose data we hold, their encrypted record and documents, and their engagements."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.transfers import HOME_COUNTRY, Safeguard, country_code, transfer_label
from apps.vault.fields import (
    EncryptedCharField,
    EncryptedJSONField,
    EncryptedPhoneNumberField,
    EncryptedTextField,
)
from apps.vault.models import DeletionCertificate


class Controller(models.Model):
    """A client company on whose behalf we process data."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False, verbose_name=_("id"))
    name = models.CharField(max_length=200, unique=True, verbose_name=_("name"))
    # Where the company processes the candidates we hand it (Act ss.48-50): outside Kenya, no hand-over without a
    # recorded safeguard (apps.core.transfers).
    country = models.CharField(_("country"), max_length=2, default=HOME_COUNTRY, validators=[country_code],
                               help_text=_("Two-letter ISO code of the country where the company processes the "
                                           "data, for example KE."))
    transfer_safeguard = models.CharField(_("safeguard for a transfer outside Kenya"), max_length=24, blank=True,
                                          choices=Safeguard.choices)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    def __str__(self) -> str:
        return self.name

    @property
    def transfer(self) -> str:
        return transfer_label(country=self.country, safeguard=self.transfer_safeguard)


class Vacancy(models.Model):
    """A position we recruit for on behalf of a client company. Applications to it are engagements.

    Closing it completes every open application to it, which erases each applicant for whom it was
    the last open engagement. Title, description and location are visitor-facing: English and
    Swahili columns (apps/subjects/translation.py).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    controller = models.ForeignKey(Controller, on_delete=models.PROTECT, related_name="vacancies")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), max_length=5000)
    location = models.CharField(_("location"), max_length=200)
    closing_date = models.DateField(_("closing date"))
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "vacancies"
        ordering = ["closing_date", "title"]
        indexes = [models.Index(fields=["status", "closing_date"], name="vacancy_status_closing_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN


class DataSubject(models.Model):
    """A person. The UUID is the only identifier that leaves the database."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        ERASED = "erased", _("Erased")

    class RestrictionGround(models.TextChoices):
        """Why processing is restricted: the grounds of the Data Protection Act 2019, s.34(1)."""

        ACCURACY_CONTESTED = "accuracy-contested", _("The person contests the accuracy of the data (s.34(1)(a))")
        LEGAL_CLAIM = "legal-claim", _("No longer needed, but kept for a legal claim (s.34(1)(b))")
        OPPOSES_ERASURE = "opposes-erasure", _("Unlawful processing; the person asks for restriction instead of "
                                               "erasure (s.34(1)(c))")
        OBJECTION_PENDING = "objection-pending", _("The person objected; the objection is being verified "
                                                   "(s.34(1)(d))")

    class RestrictionLifted(models.TextChoices):
        ACCURACY_SETTLED = "accuracy-settled", _("The accuracy was verified or the data corrected")
        CLAIM_ENDED = "claim-ended", _("The legal claim has ended")
        OBJECTION_DECIDED = "objection-decided", _("The objection was decided")
        PERSON_ASKED = "person-asked", _("The person asked for the restriction to end")

    id = models.UUIDField(_("public id"), primary_key=True, default=uuid.uuid4, editable=False)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE, verbose_name=_("status"))
    # Restriction of processing (DPA s.34): while set, the data is only stored: no disclosures, campaigns,
    # messages other than about the restriction, or changes to the person's services.
    restricted_at = models.DateTimeField(_("restricted since"), null=True, blank=True)
    restriction_ground = models.CharField(_("ground for restriction"), max_length=24,
                                          choices=RestrictionGround.choices, blank=True)
    # A record opened by a client company's hand-over is held for that company alone: another company's
    # hand-over, or the person's own form, never joins it (one controller never learns of another's people).
    # Empty: the person's own record (their confirmed form, or staff entering what they sent us).
    holder = models.ForeignKey(Controller, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("held for"))
    # Bumped by "sign out all links" and by an email correction: older private links stop working.
    link_version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    erased_at = models.DateTimeField(null=True, blank=True, verbose_name=_("erased at"))

    class Meta:
        indexes = [
            # enforce_retention: active people created before a cut-off
            models.Index(fields=["status", "created_at"], name="subject_status_created_idx"),
        ]
        verbose_name = _("person")  # plain words on staff screens; "data subject" is the law's term
        verbose_name_plural = _("people")
        permissions = [("reveal_personal_data", "Can reveal a person's data in clear (audited)")]

    def __str__(self) -> str:
        return str(self.pk)

    @property
    def public_id(self) -> uuid.UUID:
        return self.pk

    @property
    def is_erased(self) -> bool:
        return self.status == self.Status.ERASED

    @property
    def is_restricted(self) -> bool:
        return self.restricted_at is not None


# While processing is restricted, staff may see a person's data only for these reveal reasons.
REVEAL_REASONS_WHILE_RESTRICTED = frozenset({"rights-request", "legal-request"})


class SubjectRestricted(ValueError):
    """Processing of this person's data is restricted (DPA s.34): only storage is allowed. No personal data."""

    def __init__(self, message: str = "processing of this person's data is restricted") -> None:
        super().__init__(message)


class PersonalRecord(models.Model):
    class LegalIdType(models.TextChoices):
        NATIONAL_ID = "national-id", _("National ID card")
        PASSPORT = "passport", _("Passport")
        ALIEN_ID = "alien-id", _("Alien ID card")
        DRIVING_LICENCE = "driving-licence", _("Driving licence")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.OneToOneField(DataSubject, on_delete=models.CASCADE, related_name="record")
    full_name = EncryptedCharField(max_length=200)
    email = EncryptedCharField(max_length=254)
    mobile = EncryptedPhoneNumberField(region="KE", null=True, blank=True)
    address = EncryptedTextField(max_length=1000, blank=True)
    # [{"name": ..., "phone": "+2547...", "relationship": ...}]
    referees = EncryptedJSONField(default=list, blank=True)
    legal_id_type = EncryptedCharField(max_length=32, blank=True)
    legal_id_number = EncryptedCharField(max_length=64, blank=True)
    # A short account of the applicant's work experience, in their own words (optional).
    experience = EncryptedTextField(max_length=2000, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"record of {self.subject_id}"

    @property
    def legal_id_type_label(self) -> str:
        """The type of ID in words ("National ID card"), in the active language; the stored key if unknown."""
        try:
            return str(self.LegalIdType(self.legal_id_type).label)
        except ValueError:
            return self.legal_id_type

    def vault_subject_id(self) -> uuid.UUID:
        return self.subject_id


class Enquiry(models.Model):
    """A message sent through the contact form."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE, related_name="enquiries",
                                verbose_name=_("subject"))
    message = EncryptedTextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("enquiry")
        verbose_name_plural = _("enquiries")

    def __str__(self) -> str:
        return f"enquiry {self.pk}"

    def vault_subject_id(self) -> uuid.UUID:
        return self.subject_id


class SubjectLookup(models.Model):
    """Blind index: HMAC of a normalised email or phone, to find a person without decrypting."""

    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"

    subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE, related_name="lookups")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    digest = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subject", "kind"], name="lookup_subject_kind_unique")]
        indexes = [
            # subjects_find_by_email / _phone
            models.Index(fields=["kind", "digest"], name="lookup_kind_digest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} lookup of {self.subject_id}"


class IdentityDocument(models.Model):
    """A file a person gave us, sealed with their key: a scan of their ID, or their CV."""

    class ContentType(models.TextChoices):
        PDF = "application/pdf", "PDF"
        JPEG = "image/jpeg", _("JPEG image")
        PNG = "image/png", _("PNG image")

    class Kind(models.TextChoices):
        ID_SCAN = "id-scan", _("ID document")
        CV = "cv", _("CV")

    MAX_BYTES = 10 * 1024 * 1024
    # A CV is a PDF of at most 5 MB.
    CV_MAX_BYTES = 5 * 1024 * 1024
    CV_TYPES = (ContentType.PDF,)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE, related_name="documents",
                                verbose_name=_("subject"))
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.ID_SCAN, verbose_name=_("kind"))
    stored_name = models.CharField(max_length=100, editable=False)  # random; reveals nothing
    content_type = models.CharField(max_length=32, choices=ContentType.choices, verbose_name=_("content type"))
    size = models.PositiveIntegerField(verbose_name=_("size"))
    uploaded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("uploaded at"))

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(size__lte=10 * 1024 * 1024), name="document_size_limit"),
            models.CheckConstraint(
                condition=~Q(kind="cv") | Q(size__lte=5 * 1024 * 1024, content_type="application/pdf"),
                name="document_cv_pdf_5mb"),
        ]
        indexes = [
            # document_add (replace): a person's documents of one kind
            models.Index(fields=["subject", "kind"], name="document_subject_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"document {self.pk}"


class ServiceEngagement(models.Model):
    class Service(models.TextChoices):
        RECRUITMENT = "recruitment", _("Recruitment for a client")
        ENQUIRY = "enquiry", _("Website enquiry")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLETED = "completed", _("Completed")
        # Closed by the retention sweep: nothing happened for the purpose's retention period.
        EXPIRED = "expired", _("Closed: retention period passed")
        # Ended because the person asked for their data to be deleted (or withdrew a required consent).
        ENDED_BY_SUBJECT = "ended-by-subject", _("Ended at the person's request")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE, related_name="engagements",
                                verbose_name=_("subject"))
    service = models.CharField(max_length=32, choices=Service.choices, verbose_name=_("service"))
    reference = models.CharField(max_length=64, blank=True, verbose_name=_("reference"),
                                 help_text=_("The client's reference; no personal data."))
    controller = models.ForeignKey(Controller, null=True, blank=True, on_delete=models.PROTECT,
                                   verbose_name=_("controller"))
    # An application is for a vacancy ("application to <vacancy>"); enquiries have none.
    vacancy = models.ForeignKey(
        Vacancy, null=True, blank=True, on_delete=models.PROTECT, related_name="applications"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN, verbose_name=_("status"))
    opened_at = models.DateTimeField(auto_now_add=True, verbose_name=_("opened at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))
    # The longest retention period of the purposes it was opened for (None: ABANDONED_RECORD_DAYS):
    # with no activity for this long, the retention sweep closes it and erases the person.
    retention_days = models.PositiveIntegerField(null=True, blank=True)
    last_activity_at = models.DateTimeField(default=timezone.now, verbose_name=_("last activity at"))
    # When the person was told it will be closed for inactivity; cleared by any new activity.
    retention_notice_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # engagement_complete: does this person have another open engagement?
            models.Index(fields=["subject", "status"], name="engagement_subject_status_idx"),
            # enforce_retention: open engagements without activity since a cut-off
            models.Index(fields=["status", "last_activity_at"], name="engagement_status_activity_idx"),
            # vacancy close: its open applications
            models.Index(fields=["vacancy", "status"], name="engagement_vacancy_status_idx"),
        ]
        constraints = [
            # Applying twice to the same vacancy updates the application rather than duplicating it.
            models.UniqueConstraint(
                fields=["subject", "vacancy"],
                condition=Q(vacancy__isnull=False),
                name="engagement_one_application_per_vacancy",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_service_display()} {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def expires_at(self) -> datetime:
        """When the retention sweep closes it (and erases the person) if nothing happens before."""
        return self.last_activity_at + timedelta(days=self.retention_days or settings.ABANDONED_RECORD_DAYS)


class LegalHold(models.Model):
    """Data the law makes us keep after the service: named fields, until a date."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE, related_name="legal_holds")
    basis = models.CharField(max_length=200, help_text="The legal obligation, e.g. an Act and section.")
    fields = models.JSONField(help_text="PersonalRecord field names to keep, or 'documents'.")
    until = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # enforce_retention: holds that have ended
            models.Index(fields=["until"], name="legalhold_until_idx"),
        ]

    def __str__(self) -> str:
        return f"hold on {self.subject_id} until {self.until:%Y-%m-%d}"


class ErasureJob(models.Model):
    """An erasure that must happen. Written before it is queued; the sweep re-drives it."""

    class State(models.TextChoices):
        # Waits for a message to the person to be sent first (an enquiry's answer); then pending.
        WAITING = "waiting", _("Waiting for a message to go")
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        # The person's processing was restricted before the job ran: nothing is erased until it is lifted
        # (a request of the person's own is not kept waiting).
        RESTRICTED = "restricted", _("Waiting for a restriction of processing to be lifted")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE, related_name="erasure_jobs",
                                verbose_name=_("subject"))
    reason = models.CharField(max_length=32, choices=DeletionCertificate.Reason.choices, verbose_name=_("reason"))
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING, verbose_name=_("state"))
    attempts = models.PositiveIntegerField(default=0, verbose_name=_("attempts"))
    # A random token written by the run that claimed it, so a batch claim knows which rows it got.
    claim = models.UUIDField(null=True, blank=True, editable=False)
    # The worker process running it (apps.core.liveness): once its heartbeat stops, the sweep hands the job back
    # without waiting for the task's time limit. Empty: not known (a web process erasing at once).
    claimed_by = models.CharField(max_length=100, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    queued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("queued at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    certificate_id = models.UUIDField(null=True, blank=True, verbose_name=_("certificate id"))
    # Partial erasure under a legal hold: the rest waits for the hold to end.
    held = models.BooleanField(default=False, verbose_name=_("held"))
    # WAITING for this notification (sent or failed) before the erasure may run: erasing first would
    # destroy the key the message is sealed with.
    after_notification = models.UUIDField(null=True, blank=True, verbose_name=_("after notification"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject"], condition=~Q(state="done"), name="one_unfinished_erasure_per_subject"
            ),
        ]
        indexes = [
            # erasure_jobs_redrive: unfinished jobs older than a cut-off
            models.Index(fields=["state", "created_at"], name="erasurejob_state_created_idx"),
            # erasure_jobs_release: the jobs waiting for one message
            models.Index(fields=["after_notification"], condition=Q(state="waiting"), name="erasurejob_waiting_idx"),
        ]

    def __str__(self) -> str:
        return f"erasure {self.pk} ({self.state})"


class Reveal(models.Model):
    """A member of staff saw a person's data in clear. The reason code is also in the audit event; the
    free-text note may name the person, so it is sealed with their key and goes with their erasure."""

    class Reason(models.TextChoices):
        APPLICATION = "application", _("Processing the application")
        ENQUIRY = "enquiry", _("Answering the enquiry")
        RIGHTS_REQUEST = "rights-request", _("A rights request from the person")
        LEGAL_REQUEST = "legal-request", _("A legal request")

    class What(models.TextChoices):
        RECORD = "record", _("Personal record")
        DOCUMENT = "document", _("Identity document")
        ENQUIRY = "enquiry", _("Enquiry message")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE, related_name="reveals",
                                verbose_name=_("subject"))
    staff_user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("staff user"))
    what = models.CharField(max_length=16, choices=What.choices, verbose_name=_("what"))
    item = models.UUIDField(null=True, blank=True, verbose_name=_("item"))  # the document or enquiry revealed
    reason = models.CharField(max_length=32, choices=Reason.choices, verbose_name=_("reason"))
    note = EncryptedTextField(max_length=1000, blank=True)
    at = models.DateTimeField(auto_now_add=True, verbose_name=_("at"))

    class Meta:
        indexes = [
            # the person's export and the admin: one person's reveals, newest first
            models.Index(fields=["subject", "at"], name="reveal_subject_at_idx"),
        ]

    def __str__(self) -> str:
        return f"reveal {self.pk}"

    def vault_subject_id(self) -> uuid.UUID:
        return self.subject_id
