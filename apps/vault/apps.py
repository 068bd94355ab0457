from django.apps import AppConfig

from apps.core import datamap


class VaultConfig(AppConfig):
    name = "apps.vault"
    label = "vault"
    verbose_name = "Key store"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the keyring check)
        from .holdings import HOLDINGS  # it needs the models, which are loaded only now

        datamap.register(*HOLDINGS)
