from django.apps import AppConfig

from apps.core import datamap


class RecruitmentConfig(AppConfig):
    """Client companies' jobs as visitors meet them, applications and the intake pipeline, hand-overs."""

    name = "apps.recruitment"
    label = "recruitment"

    def ready(self) -> None:
        # These need the models, which are loaded only now (not a circle: the app registry's order).
        from apps.subjects.services import key_owners_register

        from .holdings import HOLDINGS
        from .intake import key_owners

        datamap.register(*HOLDINGS)
        # A held form and a kept file own their data keys: the orphan sweep must not take them.
        key_owners_register(key_owners)
