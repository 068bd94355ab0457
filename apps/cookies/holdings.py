"""What this app holds, for the personal-data map (registered in CookiesConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from apps.core.datamap import AsEvidence, Category, Holding, Keep

HOLDINGS = [
    Holding(model="cookies.CookieConsent", person=None, categories=(Category.COOKIE_CHOICE,),
            purposes=(_("proving which cookies a visitor allowed, and when"),),
            legal_basis=_("a legal obligation: consent to non-essential cookies must be provable"),
            on_erasure=Keep(_("linked to no person we know: an anonymous visitor id kept only in their own cookie")),
            retention=AsEvidence(_("the consent log an auditor reads; no IP address in clear")),
            export_key="cookie_choices",
            not_exported=_("choices are linked to an anonymous id in the visitor's browser, not to a person; the "
                         "cookie settings page shows the current choice")),
]
