from django.core.management.base import BaseCommand

from apps.subjects.services import vacancies_close_due


class Command(BaseCommand):
    help = ("Close the vacancies past their closing date and VACANCY_CLOSE_GRACE_DAYS, completing their "
            "applications (beat runs this hourly).")

    def handle(self, *args, **options) -> None:
        self.stdout.write(f"{vacancies_close_due()} erasures queued")
