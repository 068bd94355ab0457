from django.core.management.base import BaseCommand, CommandError

from apps.audit.services import audit_chain_verify


class Command(BaseCommand):
    help = "Verify the audit log's hash chains; exits non-zero at the first break."

    def handle(self, *args, **options) -> None:
        report = audit_chain_verify()
        if report.ok:
            self.stdout.write(f"OK: {report.count} events verified")
            return
        where = f"event id {report.broken_at.pk} (chain {report.chain}, seq {report.broken_at.seq})" \
            if report.broken_at else f"chain {report.chain}"
        raise CommandError(
            f"Audit chain broken at {where}: {report.problem}. {report.count} events verified before it."
        )
