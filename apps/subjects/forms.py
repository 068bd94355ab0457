"""Forms staff fill in the admin."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import DataSubject, Reveal
from .selectors import people_find


class RevealForm(forms.Form):
    """Why a member of staff needs to see data in clear; the note is sealed with the person's key."""

    reason = forms.ChoiceField(label=_("Why do you need to see it?"), choices=Reveal.Reason.choices)
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=1000,
                           widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))


class FindPersonForm(forms.Form):
    """Posted, never a GET: an email or phone number must not end up in a URL or an access log."""

    q = forms.CharField(label=_("Email, mobile number, public id or service reference"), max_length=254)


class PersonField(forms.CharField):
    """A person chosen by what staff know instead of a pasted id: their email address or mobile number (found
    through the blind index), their public id or a service reference. Sent with the form's POST, so what is
    typed never reaches an address bar or an access log; it cleans to the person."""

    default_error_messages = {
        "none": _("Nobody found. Type the exact email address or mobile number the person gave, their public id "
                  "or a service reference."),
        "many": _("More than one record has this address or reference: type the person's public id instead."),
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("label", _("Person"))
        kwargs.setdefault("help_text", _("Their email address, mobile number, public id or a service reference."))
        super().__init__(max_length=254, widget=forms.TextInput(attrs={"autocomplete": "off", "size": 40}), **kwargs)

    def prepare_value(self, value):
        return str(value.pk) if isinstance(value, DataSubject) else value

    def clean(self, value) -> DataSubject | None:
        value = super().clean(value)
        if not value:
            return None
        found = people_find(term=value)
        if not found:
            raise forms.ValidationError(self.error_messages["none"], code="none")
        if len(found) > 1:
            raise forms.ValidationError(self.error_messages["many"], code="many")
        return found[0]
