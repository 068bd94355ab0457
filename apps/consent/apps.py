from django.apps import AppConfig


class ConsentConfig(AppConfig):
    name = "apps.consent"
    label = "consent"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the system check)
        from .registrations import register  # it needs the models, which are loaded only now

        register()
