from django.core.management.base import BaseCommand, CommandError

from apps.vault.transparency import log_verify


class Command(BaseCommand):
    help = ("Rebuild the public log of deletion certificates from its leaves and check every certificate, "
            "stored subtree and published tree head against it. Exits non-zero on the first sign of tampering.")

    def handle(self, *args, **options) -> None:
        report = log_verify()
        if not report.ok:
            for problem in report.problems[:50]:
                self.stderr.write(problem)
            raise CommandError(f"the transparency log does not verify: {len(report.problems)} problem(s)")
        self.stdout.write(f"OK: {report.leaves} leaves, {report.certificates} certificates, {report.heads} heads")
