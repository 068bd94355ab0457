import uuid

from django.core.management.base import BaseCommand, CommandError

from apps.audit.services import Actor
from apps.subjects.models import DataSubject
from apps.subjects.services import erasure_job_run, erasure_request
from apps.vault.models import DeletionCertificate
from apps.vault.services import key_scope


class Command(BaseCommand):
    help = "Erase one person now (crypto-shredding) and print the deletion certificate id."

    def add_arguments(self, parser) -> None:
        parser.add_argument("public_id", type=uuid.UUID)
        parser.add_argument("--reason", choices=DeletionCertificate.Reason.values, default="subject-request")

    def handle(self, *args, public_id: uuid.UUID, reason: str, **options) -> None:
        if not DataSubject.objects.filter(pk=public_id).exists():
            raise CommandError(f"No person with public id {public_id}.")
        job = erasure_request(subject_id=public_id, reason=reason, actor=Actor.system("erase_subject command"))
        with key_scope():
            erasure_job_run(job_id=job.pk)
        certificate = DeletionCertificate.objects.filter(subject_id=public_id).first()
        if certificate is None:
            self.stdout.write(f"{public_id}: partially erased; a legal hold keeps some fields until it ends.")
        else:
            self.stdout.write(f"{public_id}: erased, certificate {certificate.pk}")
