from django.apps import AppConfig

from apps.core import datamap


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from apps.subjects.services import erasure_notices_register

        from .erasure_notices import erasure_notices_prepare, erasure_notices_release
        from .holdings import HOLDINGS

        datamap.register(*HOLDINGS)
        # Everyone erased is told, whatever ended their service: the erasure (below this app) calls these.
        erasure_notices_register(prepare=erasure_notices_prepare, release=erasure_notices_release)
