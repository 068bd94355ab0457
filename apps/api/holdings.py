"""What this app holds about people, for the personal-data map (registered in ApiConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from apps.core.datamap import Category, Days, Delete, Holding

HOLDINGS = [
    Holding(model="api.IdempotencyKey", categories=(Category.SUBMISSION,),
            purposes=(_("recognising a candidate handed over twice by a client company, so no second person is "
                      "made"),),
            legal_basis=_("consent, held by the client company and handed over with the record"),
            on_erasure=Delete(), retention=Days("API_IDEMPOTENCY_DAYS"), export_key="api_handovers",
            not_exported=_("the client's request key and the answer we gave it: your pseudonymous id only")),
]
