import uuid

from django.db import models

from apps.subjects.models import DataSubject


class StepUpCode(models.Model):
    """A 6-digit code sent to the address on file before data is shown in clear.
    Only its keyed hash is stored; single use, 10 minutes, at most 5 tries, and at most
    STEPUP_MAX_FAILURES wrong ones a day across all the codes sent for one link."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subject = models.ForeignKey(DataSubject, on_delete=models.CASCADE, related_name="stepup_codes")
    code_hmac = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    tries = models.PositiveSmallIntegerField(default=0)
    # Wrong codes tried; summed over the person's codes for the current link (see stepup_verify).
    failures = models.PositiveSmallIntegerField(default=0)
    link_version = models.PositiveIntegerField(default=0)  # the person's link version when it was sent
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # stepup_verify: the person's newest code
            models.Index(fields=["subject", "created_at"], name="stepup_subject_created_idx"),
        ]

    def __str__(self) -> str:
        return f"code for {self.subject_id}"


class LinkRequest(models.Model):
    """Someone asked /me/resend/ for a new link. Looked up by a job, so that the page answers in the
    same time whether or not the address is on file. Holds a keyed hash, never the address."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=8)  # "email" or "phone"
    digest = models.CharField(max_length=64)
    language = models.CharField(max_length=8, default="en")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            # link_requests_redrive: requests left behind by a broker outage
            models.Index(fields=["created_at"], name="linkrequest_created_idx"),
        ]

    def __str__(self) -> str:
        return f"link request {self.pk}"
