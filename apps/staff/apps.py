from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps

from apps.core import datamap


class StaffConfig(AppConfig):
    name = "apps.staff"
    label = "staff"
    default = True

    def ready(self) -> None:
        from axes.signals import user_locked_out

        from apps.recruitment.intake import intake_landing_register  # it needs the models, loaded only now

        from .holdings import HOLDINGS  # it needs the models, which are loaded only now
        from .receivers import sign_in_locked  # its service needs the models too
        from .services import rights_request_land

        datamap.register(*HOLDINGS)
        # A request from the public rights page, once its address's owner confirmed it, lands in the register.
        intake_landing_register("rights", rights_request_land)
        user_locked_out.connect(sign_in_locked, dispatch_uid="staff-sign-in-locked")


class StaffAdminConfig(admin_apps.AdminConfig):
    """The admin, with the site that asks every staff member for a second factor (apps.staff.sites)."""

    default = False
    default_site = "apps.staff.sites.StaffAdminSite"
