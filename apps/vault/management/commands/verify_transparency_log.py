from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.vault.transparency import log_verify, witness_heads


class Command(BaseCommand):
    help = ("Rebuild the public log of deletion certificates from its leaves and check every certificate, "
            "stored subtree and published tree head against it, every certificate an erasure job names and "
            "every head the audit log records as published; with --witness, prove the log consistent with "
            "every head a witness saw. Exits non-zero on the first sign of tampering.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--witness", type=Path, action="append", default=[],
                            help="heads seen by a witness, one JSON object a line (the witness's heads file); "
                                 "may be given more than once")

    def handle(self, *args, witness: list[Path], **options) -> None:
        seen = []
        for path in witness:
            try:
                seen += witness_heads(path.read_text().splitlines())
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise CommandError(f"{path} is not a witness's heads file (one JSON head a line): {exc}") from exc
        report = log_verify(witness=seen)
        if not report.ok:
            for problem in report.problems[:50]:
                self.stderr.write(problem)
            raise CommandError(f"the transparency log does not verify: {len(report.problems)} problem(s)")
        witnessed = f", consistent with {len(seen)} witnessed heads" if witness else ""
        self.stdout.write(f"OK: {report.leaves} leaves, {report.certificates} certificates, {report.heads} heads"
                          f"{witnessed}")
