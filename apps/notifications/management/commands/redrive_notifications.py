from django.core.management.base import BaseCommand

from apps.notifications.services import notifications_redrive


class Command(BaseCommand):
    help = "Re-queue notifications not sent in time (beat runs this every 30 seconds)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"{notifications_redrive()} notifications re-queued")
