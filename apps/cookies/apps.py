from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from apps.core import datamap


class CookiesConfig(AppConfig):
    name = "apps.cookies"
    label = "cookies"
    verbose_name = _("Cookies")

    def ready(self) -> None:
        from .holdings import HOLDINGS

        datamap.register(*HOLDINGS)
