import uuid

from django.core.management.base import BaseCommand, CommandError

from apps.audit.services import Actor
from apps.subjects.models import DataSubject
from apps.subjects.services import subject_erase_now
from apps.vault.models import DeletionCertificate
from apps.vault.services import key_scope


class Command(BaseCommand):
    help = "Erase one person now (crypto-shredding) and print the deletion certificate id."

    def add_arguments(self, parser) -> None:
        parser.add_argument("public_id", type=uuid.UUID)
        parser.add_argument("--reason", choices=DeletionCertificate.Reason.values, default="subject-request")
        parser.add_argument("--wait", type=float, default=30.0,
                            help="seconds to wait for a worker that is already running this erasure")

    def handle(self, *args, public_id: uuid.UUID, reason: str, wait: float, **options) -> None:
        if not DataSubject.objects.filter(pk=public_id).exists():
            raise CommandError(f"No person with public id {public_id}.")
        with key_scope():
            outcome = subject_erase_now(subject_id=public_id, reason=reason,
                                        actor=Actor.system("erase_subject command"), wait=wait)
        if outcome.certificate is not None:
            self.stdout.write(f"{public_id}: erased, certificate {outcome.certificate.pk}")
        elif outcome.held:
            self.stdout.write(f"{public_id}: partially erased; a legal hold keeps some fields until it ends.")
        elif outcome.restricted:
            raise CommandError(f"{public_id}: processing is restricted, so nothing was erased; the erasure runs "
                               "when the privacy officer lifts the restriction.")
        else:
            raise CommandError(f"{public_id}: erasure job {outcome.job.pk} is still {outcome.job.state}; "
                               "a worker is running it. Run the command again to see the certificate.")
