from django.core.management.base import BaseCommand

from apps.subjects.services import enforce_retention


class Command(BaseCommand):
    help = "Queue erasure of everything past its retention period (beat runs this hourly)."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"{enforce_retention()} erasures queued")
