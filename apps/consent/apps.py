from django.apps import AppConfig

from apps.core import datamap


class ConsentConfig(AppConfig):
    name = "apps.consent"
    label = "consent"

    def ready(self) -> None:
        from apps.policies.services import consent_lookup_register
        from apps.policies.text import purpose_rows_register

        from . import checks  # noqa: F401 (registers the system check)
        from .holdings import HOLDINGS
        from .selectors import consent_receipt_for, purposes_table

        datamap.register(*HOLDINGS)
        # The disclosure register (below us) asks whether a person's consent to a purpose stands, and the
        # policy's generated table lists the purposes we ask consent for.
        consent_lookup_register(consent_receipt_for)
        purpose_rows_register(purposes_table)
