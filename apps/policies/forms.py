import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.datamap import Category
from apps.subjects.selectors import people_find

from .models import Disclosure, PolicyDisclosure
from .selectors import policy_in_force


class DisclosureRecordForm(forms.Form):
    """Staff record a disclosure for one person or several (one public id per line)."""

    people = forms.CharField(label=_("People (one per line)"), widget=forms.Textarea(attrs={"rows": 4}),
                             help_text=_("Each person's email address, mobile number, public id or a service "
                                         "reference, one per line (sent with the form, never in an address)."))
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
        """Each line found through the blind index (or as a public id or reference), exactly one person."""
        ids, wrong = [], []
        lines = [line.strip() for line in self.cleaned_data["people"].splitlines() if line.strip()]
        for number, line in enumerate(lines, start=1):
            found = people_find(term=line)
            if len(found) == 1:
                ids.append(found[0].pk)
            else:
                wrong.append(number)
        if wrong:  # by line number: what was typed (an address, a number) is not repeated on the page
            raise forms.ValidationError(_("Nobody, or more than one record, found on line(s) %(lines)s: type the "
                                          "exact email address, mobile number or public id."),
                                        params={"lines": ", ".join(map(str, wrong))})
        return ids
