from django.apps import AppConfig


class CookiesConfig(AppConfig):
    name = "apps.cookies"
    label = "cookies"
