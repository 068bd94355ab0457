from django.apps import AppConfig


class RecruitmentConfig(AppConfig):
    """Client companies' jobs as visitors meet them, applications and the intake pipeline, hand-overs."""

    name = "apps.recruitment"
    label = "recruitment"
