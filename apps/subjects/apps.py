from django.apps import AppConfig


class SubjectsConfig(AppConfig):
    name = "apps.subjects"
    label = "subjects"
