from django.apps import AppConfig

from apps.core import datamap


class ConsentConfig(AppConfig):
    name = "apps.consent"
    label = "consent"

    def ready(self) -> None:
        from .holdings import HOLDINGS

        datamap.register(*HOLDINGS)
