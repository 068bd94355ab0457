from django import forms
from django.utils.translation import gettext_lazy as _

from .models import CookieConsent

# The button a visitor pressed; "save" is "Save my choices" (the per-category switches).
ACTIONS = {
    "accept_all": CookieConsent.Action.ACCEPT_ALL,
    "reject_all": CookieConsent.Action.REJECT_ALL,
    "save": CookieConsent.Action.CUSTOM,
    # Sent by our script when it sees navigator.globalPrivacyControl but the server did not.
    "gpc": CookieConsent.Action.GPC,
}


class CookieChoiceForm(forms.Form):
    action = forms.ChoiceField(choices=[(key, key) for key in ACTIONS], label=_("Choice"))
    next = forms.CharField(required=False, max_length=2000)
    gpc = forms.BooleanField(required=False)

    def __init__(self, *args, known: set[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.known = known

    def clean(self) -> dict:
        cleaned = super().clean()
        # The ticked switches; a key unknown now (a category removed since the page was rendered)
        # is dropped rather than refused, so the visitor's other choices still count.
        cleaned["categories"] = [slug for slug in self.data.getlist("category") if slug in self.known]
        return cleaned

    @property
    def consent_action(self) -> str:
        return ACTIONS[self.cleaned_data["action"]]
