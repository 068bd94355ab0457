from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.staff.services import enrolment_code_issue


class Command(BaseCommand):
    help = ("Print a one-time code with which a staff member sets up their first second factor (the first "
            "superuser has nobody to issue one in the admin). The code is printed once and never logged.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        user = get_user_model().objects.filter(username=username, is_active=True, is_staff=True).first()
        if user is None:
            raise CommandError("no active staff account with that username")
        self.stdout.write(enrolment_code_issue(user=user, issued_by=None))
