from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    """Client companies' jobs as visitors meet them, applications and the intake pipeline, hand-overs."""

    name = "apps.recruitment"
    label = "recruitment"

    def ready(self) -> None:
        from .registrations import register  # it needs the models, which are loaded only now

        register()
