"""The privacy officer's registers: rights requests that arrive outside the portal, and breaches."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.subjects.models import DataSubject


class StaffAction(models.Model):
    """No table: carries the permissions for staff actions that belong to no model."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_dashboard", "Can see the privacy officer's dashboard"),
            ("send_private_link", "Can send a person a fresh private link to the address on file"),
            ("answer_enquiry", "Can answer an enquiry by email"),
            ("add_person", "Can add a person who applied or asked by email or phone, with their consent"),
            ("restrict_processing", "Can restrict processing of a person's data and lift the restriction"),
            ("notify_breach", "Can tell the people affected by a breach"),
            ("issue_enrolment_code", "Can issue a staff member a one-time code to set up two-factor sign-in"),
            ("approve_bulk_erasure", "Can erase more people in one action than STAFF_BULK_ERASURE_LIMIT, and "
                                     "approve another staff member's action that does"),
        ]

    def __str__(self) -> str:
        return "staff action"


class RightsRequest(models.Model):
    """A request by email, letter or phone, or from the public rights page (confirmed by the code emailed to the
    address given). No free text: the person is named only by their public id."""

    class Kind(models.TextChoices):
        ACCESS = "access", _("Access (a copy of the data)")
        CORRECTION = "correction", _("Correction")
        ERASURE = "erasure", _("Erasure")
        OBJECTION = "objection", _("Objection to processing")
        RESTRICTION = "restriction", _("Restriction of processing")
        PORTABILITY = "portability", _("Portability")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        LETTER = "letter", _("Letter")
        PHONE = "phone", _("Phone")
        IN_PERSON = "in-person", _("In person")
        WEB_FORM = "web-form", _("The rights page on our website")

    class IdentityCheck(models.TextChoices):
        NOT_YET = "", _("Not verified yet")
        ID_DOCUMENT = "id-document", _("ID document seen and matched to the record")
        CALL_BACK = "call-back", _("Called back on the number on file")
        EMAIL_ON_FILE = "email-on-file", _("Confirmed from the email address on file")
        PRIVATE_LINK = "private-link", _("Confirmed through the person's private link")
        EMAIL_CODE = "email-code", _("A code sent to the email address on file, typed back on the rights page")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        COMPLETED = "completed", _("Completed")
        REFUSED = "refused", _("Refused")

    class Outcome(models.TextChoices):
        NONE = "", _("—")
        DONE = "done", _("Done as asked")
        NOT_IDENTIFIED = "not-identified", _("Refused: identity could not be verified")
        NO_DATA = "no-data", _("We hold no data about the person")
        LEGAL_OBLIGATION = "legal-obligation", _("Refused: a legal obligation requires the data")
        WITHDRAWN = "withdrawn", _("Withdrawn by the person")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices)
    channel = models.CharField(_("received by"), max_length=16, choices=Channel.choices)
    received_at = models.DateTimeField(_("received"))
    due_at = models.DateTimeField(_("due"))
    subject = models.ForeignKey(DataSubject, null=True, blank=True, on_delete=models.CASCADE,
                                related_name="rights_requests", verbose_name=_("person (public id)"))
    identity_check = models.CharField(_("identity verified by"), max_length=16, choices=IdentityCheck.choices,
                                      blank=True)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.OPEN)
    outcome = models.CharField(_("outcome"), max_length=24, choices=Outcome.choices, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("rights request")
        verbose_name_plural = _("rights requests")
        indexes = [
            # the dashboard: open requests by due date
            models.Index(fields=["state", "due_at"], name="rightsrequest_state_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(due_at__gte=models.F("received_at")),
                                   name="rightsrequest_due_after_received"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {str(self.pk)[:8]}"

    @property
    def is_overdue(self) -> bool:
        return self.state == self.State.OPEN and timezone.now() > self.due_at


def rights_request_due(*, kind: str, received_at: datetime) -> datetime:
    """The statutory clock for this type of request (settings.RIGHTS_REQUEST_DAYS)."""
    return received_at + timedelta(days=settings.RIGHTS_REQUEST_DAYS[kind])


class Breach(models.Model):
    """A personal-data breach. Counts and categories only: nobody is named here."""

    class Risk(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High: tell the people affected")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    summary = models.TextField(_("what happened"), max_length=4000,
                               help_text=_("Describe the incident without naming anyone affected."))
    occurred_at = models.DateTimeField(_("occurred"), null=True, blank=True)
    discovered_at = models.DateTimeField(_("discovered"))
    categories = models.JSONField(_("categories of data"), default=list, blank=True)
    people_affected = models.PositiveIntegerField(_("number of people affected"), default=0)
    risk = models.CharField(_("risk"), max_length=8, choices=Risk.choices, default=Risk.MEDIUM)
    containment = models.TextField(_("containment"), max_length=4000, blank=True)
    commissioner_notified_at = models.DateTimeField(_("Data Commissioner notified"), null=True, blank=True)
    controllers_notified_at = models.DateTimeField(_("controllers notified"), null=True, blank=True)
    people_notified_at = models.DateTimeField(_("people affected notified"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("breach")
        verbose_name_plural = _("breaches")
        indexes = [
            # the dashboard: open breaches by discovery
            models.Index(fields=["state", "discovered_at"], name="breach_state_discovered_idx"),
        ]

    def __str__(self) -> str:
        return f"{_('breach')} {self.discovered_at:%Y-%m-%d} {str(self.pk)[:8]}"

    @property
    def commissioner_due_at(self) -> datetime:
        return self.discovered_at + timedelta(hours=settings.BREACH_COMMISSIONER_HOURS)

    @property
    def controllers_due_at(self) -> datetime:
        return self.discovered_at + timedelta(hours=settings.BREACH_CONTROLLER_HOURS)

    @property
    def commissioner_overdue(self) -> bool:
        return self.commissioner_notified_at is None and timezone.now() > self.commissioner_due_at

    @property
    def controllers_overdue(self) -> bool:
        return self.controllers_notified_at is None and timezone.now() > self.controllers_due_at


class BreachNotice(models.Model):
    """One person affected by a breach was told, once: which message, when. The register of who was notified."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    breach = models.ForeignKey(Breach, on_delete=models.PROTECT, related_name="notices")
    subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE, related_name="breach_notices",
                                verbose_name=_("person (public id)"))
    # The message (apps.notifications); it goes with the person's erasure, this row stays as the proof.
    notification_id = models.UUIDField(_("message"), null=True, blank=True)
    notified_at = models.DateTimeField(_("notified"), default=timezone.now)

    class Meta:
        verbose_name = _("breach notice")
        verbose_name_plural = _("breach notices")
        constraints = [
            # exactly once per person and breach, however often the officer presses the button
            models.UniqueConstraint(fields=["breach", "subject"], name="breach_notice_once_per_person"),
        ]

    def __str__(self) -> str:
        return f"{_('breach notice')} {str(self.pk)[:8]}"


class EnrolmentToken(models.Model):
    """A one-time permission to set up a staff member's first second factor, issued by a superuser or the
    privacy officer. Only its hash is kept; the token itself is shown once, to the issuer."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)  # enrolment_token_use: the token presented
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("enrolment code")
        verbose_name_plural = _("enrolment codes")

    def __str__(self) -> str:
        return f"{_('enrolment code')} {str(self.pk)[:8]}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and timezone.now() < self.expires_at
