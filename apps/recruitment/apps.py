from django.apps import AppConfig

from apps.core import datamap


class RecruitmentConfig(AppConfig):
    """Client companies' jobs as visitors meet them, applications and the intake pipeline, hand-overs."""

    name = "apps.recruitment"
    label = "recruitment"

    def ready(self) -> None:
        from .holdings import HOLDINGS  # it needs the models, which are loaded only now

        datamap.register(*HOLDINGS)
