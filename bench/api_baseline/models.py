from django.db import models


class PlainCandidate(models.Model):
    """The same fields as POST /api/v1/candidates, in clear, in one row (bench only)."""

    vacancy_id = models.UUIDField()
    reference = models.CharField(max_length=64, blank=True)
    full_name = models.CharField(max_length=100)
    email = models.CharField(max_length=254)
    mobile = models.CharField(max_length=32)
    address = models.TextField()
    legal_id_type = models.CharField(max_length=32)
    legal_id_number = models.CharField(max_length=20)
    referees = models.JSONField()
    purposes = models.JSONField()
    obtained_at = models.DateTimeField()
    obtained_how = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"plain candidate {self.pk}"
