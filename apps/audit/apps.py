from django.apps import AppConfig

from apps.core import datamap


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the system check)
        from .holdings import HOLDINGS  # it needs the models, which are loaded only now

        datamap.register(*HOLDINGS)
