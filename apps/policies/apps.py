from django.apps import AppConfig

from apps.core import datamap
from apps.notifications.rendering import personal_values_register


class PoliciesConfig(AppConfig):
    name = "apps.policies"
    label = "policies"
    verbose_name = "Privacy policy"

    def ready(self) -> None:
        from .holdings import HOLDINGS
        from .selectors import recipients_of_policy_in_force  # it needs the models too

        datamap.register(*HOLDINGS)
        datamap.recipients_register(recipients_of_policy_in_force)
        # The change notice prints each person's links as they are: a batch renders its text once per language.
        personal_values_register("policy_changed", ("link", "disclosures.*.choice_url"))
