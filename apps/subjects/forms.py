"""Forms staff fill in the admin."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Reveal


class RevealForm(forms.Form):
    """Why a member of staff needs to see data in clear; the note is sealed with the person's key."""

    reason = forms.ChoiceField(label=_("Why do you need to see it?"), choices=Reveal.Reason.choices)
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))


class FindPersonForm(forms.Form):
    """Posted, never a GET: an email or phone number must not end up in a URL or an access log."""

    q = forms.CharField(label=_("Email, mobile number, public id or service reference"), max_length=254)
