from django.apps import AppConfig

from apps.core import datamap


class ConsentConfig(AppConfig):
    name = "apps.consent"
    label = "consent"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the system check)
        from .holdings import HOLDINGS

        datamap.register(*HOLDINGS)
