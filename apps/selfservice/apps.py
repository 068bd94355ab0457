from django.apps import AppConfig

from apps.core import datamap


class SelfserviceConfig(AppConfig):
    name = "apps.selfservice"
    label = "selfservice"

    def ready(self) -> None:
        from .holdings import HOLDINGS

        datamap.register(*HOLDINGS)
