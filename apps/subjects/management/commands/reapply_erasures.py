from django.core.management.base import BaseCommand

from apps.subjects.services import erasures_reapply


class Command(BaseCommand):
    help = "After restoring the main database from a backup, erase again everyone with a deletion certificate."

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"{erasures_reapply()} people erased again")
