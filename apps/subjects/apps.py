from django.apps import AppConfig

from apps.core import datamap


class SubjectsConfig(AppConfig):
    name = "apps.subjects"
    label = "subjects"

    def ready(self) -> None:
        from .holdings import HOLDINGS  # it needs the models, which are loaded only now
        from .selectors import controller_recipients

        datamap.register(*HOLDINGS)
        datamap.recipients_register(controller_recipients)
