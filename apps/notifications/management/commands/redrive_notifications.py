from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser

from apps.notifications.services import notifications_redrive


class Command(BaseCommand):
    help = "Re-queue notifications not sent in time (beat runs this every 30 seconds)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=float, default=60.0, metavar="SECONDS",
                            help="re-queue pending notifications queued longer ago than this (default 60)")

    def handle(self, *args, **options) -> None:
        count = notifications_redrive(older_than=timedelta(seconds=options["older_than"]))
        self.stdout.write(f"{count} notifications re-queued")
