from django.apps import AppConfig


class VaultConfig(AppConfig):
    name = "apps.vault"
    label = "vault"
    verbose_name = "Key store"

    def ready(self) -> None:
        from . import checks  # noqa: F401 (registers the keyring check)
