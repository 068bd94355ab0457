"""Demo data for the parts that exist. Idempotent: running it twice changes nothing.

The messages the demo sends while seeding (email and SMS, printed by the development backends) go to
var/demo-messages.txt, not the terminal; what a person trying the demo needs (the admin's sign-in with an
enrolment code for setting up its authenticator app, and the demo applicant's private link) is printed last,
labelled."""

import contextlib
import io
from importlib import import_module
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import module_has_submodule


class Command(BaseCommand):
    help = "Create demo data (idempotent). Refuses to run with DEBUG off."

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG=1: it creates a known admin password.")
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True, "email": "admin@example.org"}
        )
        if created:
            user.set_password("demo-admin-password")
            user.save(update_fields=["password"])
        self.stdout.write(f"admin user: {'created' if created else 'present'} (username admin)")
        # Each app may have a `seed.py` with `seed_demo(stdout)`; apps run in INSTALLED_APPS order. A seed may
        # return (label, value) pairs to show at the end.
        shown: list[tuple[str, str]] = []
        messages = Path(settings.DEMO_MESSAGES_FILE)
        with open(messages, "a", encoding="utf-8") as sent, contextlib.redirect_stdout(sent):
            for app_config in apps.get_app_configs():
                if module_has_submodule(app_config.module, "seed"):
                    shown += import_module(f"{app_config.name}.seed").seed_demo(self.stdout) or []
        self.stdout.write(f"\nThe emails and SMS the demo sent are in {messages} (development backends).")
        self.stdout.write(f"Admin: {settings.SITE_URL}/{settings.ADMIN_URL}  (admin / demo-admin-password)")
        if not user.totpdevice_set.filter(confirmed=True).exists():
            # The first sign-in sets up an authenticator app, which needs a one-time enrolment code (the staff
            # app's own command issues it; a new one each run, the earlier one stops working).
            code = io.StringIO()
            call_command("staff_enrolment_code", "admin", stdout=code)
            self.stdout.write(f"    First sign-in: leave the code empty, then enter this enrolment code: "
                              f"{code.getvalue().strip()}")
        for label, value in shown:
            self.stdout.write("")
            self.stdout.write(self.style.SUCCESS(f"{label}:"))
            self.stdout.write(f"    {value}")
        self.stdout.write("")
