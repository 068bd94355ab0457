from django.apps import AppConfig

from . import datamap  # noqa: F401 (registers the personal-data map's system check)


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Site"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the registration check)
