from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps

from apps.core import datamap


class StaffConfig(AppConfig):
    name = "apps.staff"
    label = "staff"
    default = True

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from .holdings import HOLDINGS  # it needs the models, which are loaded only now
        from .receivers import sign_in_locked  # its service needs the models too

        datamap.register(*HOLDINGS)
        user_locked_out.connect(sign_in_locked, dispatch_uid="staff-sign-in-locked")


class StaffAdminConfig(admin_apps.AdminConfig):
    """The admin, with the site that asks every staff member for a second factor (apps.staff.sites)."""

    default = False
    default_site = "apps.staff.sites.StaffAdminSite"
