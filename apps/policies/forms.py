import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.datamap import Category

from .models import Disclosure, PolicyDisclosure
from .selectors import policy_in_force


class DisclosureRecordForm(forms.Form):
    """Staff record a disclosure for one person or several (one public id per line)."""

    people = forms.CharField(label=_("People (public ids, one per line)"), widget=forms.Textarea(attrs={"rows": 4}))
    legal_basis = forms.ChoiceField(label=_("Legal basis"), choices=Disclosure.LegalBasis.choices)
    allowed = forms.ModelChoiceField(label=_("Disclosure allowed by the policy in force (for consent)"),
                                     queryset=PolicyDisclosure.objects.none(), required=False)
    recipient = forms.CharField(label=_("Recipient"), max_length=200, required=False,
                                help_text=_("For consent: empty means the recipient the policy names."))
    data_categories = forms.MultipleChoiceField(label=_("Data categories"), choices=Category.choices,
                                                widget=forms.CheckboxSelectMultiple)
    reference = forms.CharField(label=_("Reference (court order or law)"), max_length=120, required=False)
    restricted_until = forms.DateField(label=_("Hide from the person until (legal obligation only)"),
                                       required=False, widget=forms.DateInput(attrs={"type": "date"}))
    disclosed_at = forms.DateTimeField(label=_("Disclosed at"), required=False,
                                       help_text=_("Empty: now."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        in_force = policy_in_force()
        if in_force is not None:
            self.fields["allowed"].queryset = in_force.disclosures.all()

    def clean_people(self) -> list[uuid.UUID]:
        ids = []
        for line in self.cleaned_data["people"].split():
            try:
                ids.append(uuid.UUID(line.strip()))
            except ValueError:
                raise forms.ValidationError(_("Not a public id: %(value)s"), params={"value": line[:40]}) from None
        return ids
