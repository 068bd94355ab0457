"""What this app tells the apps below it, registered in ConsentConfig.ready() once the models are loaded:
what it holds (the personal-data map), whether a person's consent to a purpose stands (the disclosure
register asks), the purposes for the policy's generated "what we collect" table, a purpose's name for
/verify/, and the signed receipts a confirmation email carries."""

from apps.core import datamap
from apps.notifications.rendering import attachments_register
from apps.policies.services import consent_lookup_register
from apps.policies.text import purpose_rows_register
from apps.vault.transparency import purpose_names_register

from .holdings import HOLDINGS
from .receipts import receipt_attachments
from .selectors import consent_receipt_for, purpose_name, purposes_table


def register() -> None:
    datamap.register(*HOLDINGS)
    consent_lookup_register(consent_receipt_for)
    purpose_rows_register(purposes_table)
    purpose_names_register(purpose_name)
    attachments_register("confirmation", receipt_attachments)
