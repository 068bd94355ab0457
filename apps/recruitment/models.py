"""A form sent from the website, held until the owner of its email address proves it was them."""

import uuid

from django.db import models

from apps.vault.fields import EncryptedBinaryField, EncryptedCharField, EncryptedJSONField


class PendingSubmission(models.Model):
    """One sent form (an application or a message to us) that nobody has confirmed yet.

    Whoever knows an email address can type it into a form, so a form creates no person, record, receipt,
    engagement or referee message: it is this one row, sealed with a key of its own (its id is the key's
    owner in the key store), and one email to the address typed with a 6-digit code and a link. When the
    address's owner types the code or follows the link, the form is applied (apps.recruitment.intake) and
    this row, its messages and its key are destroyed; unconfirmed, the same happens after
    INTAKE_PENDING_DAYS. Known and unknown addresses take the same path: nothing here looks the address up."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    key = models.UUIDField(unique=True)  # the form's own key: the same form sent twice is this row again
    kind = models.CharField(max_length=16)  # "apply" or "contact"
    vacancy = models.ForeignKey("subjects.Vacancy", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    purposes = models.JSONField(default=list)  # slugs ticked on the form
    # Where and how it was collected (collection point, form version, language, notice versions shown): no
    # personal data. What the form said, and the sender's IP address and browser, are in `data`, sealed.
    context = models.JSONField(default=dict)
    data = EncryptedJSONField(default=dict)
    document = EncryptedBinaryField(null=True, blank=True)  # the ID scan sent, if any
    cv = EncryptedBinaryField(null=True, blank=True)
    code = EncryptedCharField(max_length=6)  # what the email (or, if asked, the SMS) says
    code_attempts = models.PositiveSmallIntegerField(default=0)  # wrong codes typed
    sms_sent = models.PositiveSmallIntegerField(default=0)  # codes sent by SMS on the sender's request
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)  # intakes_expire
    reminded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"pending {self.kind} {self.pk}"

    def vault_subject_id(self) -> uuid.UUID:
        return self.pk


class UploadKept(models.Model):
    """A file a visitor attached to a form that came back with mistakes elsewhere: kept (sealed under a key of
    its own) so that they need not send it again over a slow, paid connection. Bound to the form's own key;
    used and deleted when the form is sent, or deleted with its key after UPLOAD_KEPT_MINUTES."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    form_key = models.UUIDField()
    field = models.CharField(max_length=32)  # "id_document" or "cv"
    name = EncryptedCharField(max_length=255)  # the file's name, as the visitor's device gave it
    data = EncryptedBinaryField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["form_key", "field"], name="upload_kept_one_per_field")]

    def __str__(self) -> str:
        return f"upload kept {self.pk}"

    def vault_subject_id(self) -> uuid.UUID:
        return self.pk
