from django.core.management.base import BaseCommand

from apps.audit.services import Actor
from apps.staff.services import roles_sync


class Command(BaseCommand):
    help = "Give each staff role (group) exactly the permissions apps/staff/roles.py names."

    def handle(self, *args, **options) -> None:
        for role, count in roles_sync(actor=Actor.system("staff_roles")).items():
            self.stdout.write(f"{role}: {count} permissions")
