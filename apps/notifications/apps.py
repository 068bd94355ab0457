from django.apps import AppConfig

from apps.core import datamap


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from .holdings import HOLDINGS

        datamap.register(*HOLDINGS)
