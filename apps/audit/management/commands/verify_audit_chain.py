from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.audit.services import anchors_parse, audit_anchors_verify, audit_chain_verify


class Command(BaseCommand):
    help = ("Verify the audit log's hash chains and its shape (a chain per AUDIT_CHAINS, none shorter than the "
            "newest stored anchor); exits non-zero at the first break. With --anchors, also "
            "check the chain heads published earlier (log lines or emails holding 'audit-anchor').")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--anchors", type=Path, help="a file holding published anchors (a log, saved emails)")

    def handle(self, *args, anchors: Path | None = None, **options) -> None:
        report = audit_chain_verify()
        if not report.ok:
            if report.chain is None:
                raise CommandError(f"Audit log does not verify: {report.problem}.")
            where = f"event id {report.broken_at.pk} (chain {report.chain}, seq {report.broken_at.seq})" \
                if report.broken_at else f"chain {report.chain}"
            raise CommandError(
                f"Audit chain broken at {where}: {report.problem}. {report.count} events verified before it."
            )
        if anchors is not None:
            found = anchors_parse(anchors.read_text().splitlines())
            if not found:
                raise CommandError(f"No anchors found in {anchors}.")
            problems = audit_anchors_verify(found)
            if problems:
                raise CommandError("Audit log does not match its anchors: " + "; ".join(problems[:10]))
            self.stdout.write(f"OK: {report.count} events verified, {len(found)} anchors match")
            return
        self.stdout.write(f"OK: {report.count} events verified")
