from django.apps import AppConfig

from apps.core import datamap


class SubjectsConfig(AppConfig):
    name = "apps.subjects"
    label = "subjects"

    def ready(self) -> None:
        from .holdings import HOLDINGS  # it needs the models, which are loaded only now

        datamap.register(*HOLDINGS)
