"""Send the key store to its own database when VAULT_DATABASE_URL gives one."""

from django.conf import settings

VAULT_APP = "vault"


def vault_db() -> str:
    return "vault" if "vault" in settings.DATABASES else "default"


class VaultRouter:
    def db_for_read(self, model, **hints) -> str | None:
        return vault_db() if model._meta.app_label == VAULT_APP else None

    db_for_write = db_for_read

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        return None

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool | None:
        if "vault" not in settings.DATABASES:
            return None
        return (app_label == VAULT_APP) == (db == "vault")
