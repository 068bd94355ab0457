from django.apps import AppConfig


class SelfserviceConfig(AppConfig):
    name = "apps.selfservice"
    label = "selfservice"
