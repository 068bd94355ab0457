from django.db import models


class PolicyVersion(models.Model):
    """One published text of the privacy policy. Every version stays public."""

    version = models.CharField(max_length=16, unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(help_text="What changed, in plain words.")
    body = models.TextField()
    effective_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-effective_at"]
        indexes = [
            # policy_in_force: the newest published version already effective
            models.Index(fields=["published_at", "effective_at"], name="policy_published_effective_idx"),
        ]

    def __str__(self) -> str:
        return f"v{self.version}"
