from django.db import models


class Application(models.Model):
    """The application form's text fields, in plain columns: what a plain Django form would store."""

    full_name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254)
    mobile = models.CharField(max_length=32)
    address = models.TextField(max_length=1000)
    legal_id_type = models.CharField(max_length=32)
    legal_id_number = models.CharField(max_length=20)
    referee_1_name = models.CharField(max_length=100)
    referee_1_phone = models.CharField(max_length=32)
    referee_1_relationship = models.CharField(max_length=100)
    referee_2_name = models.CharField(max_length=100)
    referee_2_phone = models.CharField(max_length=32)
    referee_2_relationship = models.CharField(max_length=100)

    def __str__(self) -> str:
        return f"application {self.pk}"


class SealedApplication(models.Model):
    """The accountable minimum's row (bench/intake.py --minimum): the form's data and ID scan, sealed."""

    key = models.UUIDField(primary_key=True)
    sealed = models.BinaryField()

    def __str__(self) -> str:
        return f"sealed application {self.pk}"


class PeerApplication(models.Model):
    """A typical peer's application row (bench/intake.py --peer): each personal field a Fernet token under one
    app-wide key, the scan a file, plain foreign keys."""

    full_name = models.TextField()
    email = models.TextField()
    mobile = models.TextField()
    address = models.TextField()
    legal_id = models.TextField()
    referees = models.TextField()
    scan = models.CharField(max_length=200)
    vacancy_id = models.UUIDField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"peer application {self.pk}"


class PeerConsent(models.Model):
    application = models.ForeignKey(PeerApplication, on_delete=models.CASCADE)
    purpose = models.CharField(max_length=50)
    given_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"peer consent {self.pk}"


class PeerAudit(models.Model):
    action = models.CharField(max_length=50)
    target = models.CharField(max_length=64)
    at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"peer audit {self.pk}"
