from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "apps.api"
    label = "api"
    verbose_name = "Controller API"

    def ready(self) -> None:
        from apps.core import datamap

        from . import checks  # noqa: F401 (registers the system check)
        from .holdings import HOLDINGS  # it needs the models, which are loaded only now

        datamap.register(*HOLDINGS)
