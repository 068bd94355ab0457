from django.apps import AppConfig

from apps.core import datamap


class PoliciesConfig(AppConfig):
    name = "apps.policies"
    label = "policies"
    verbose_name = "Privacy policy"

    def ready(self) -> None:
        from .holdings import HOLDINGS

        datamap.register(*HOLDINGS)
