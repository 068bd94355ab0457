"""Consent boxes for the collection forms: built from the active purposes, never pre-ticked."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Purpose


class ConsentFormMixin:
    """Adds one unticked checkbox per purpose: `consent_<slug>`."""

    def add_purposes(self, purposes: list[Purpose]) -> None:
        self.purposes = purposes
        for purpose in purposes:
            self.fields[f"consent_{purpose.slug}"] = forms.BooleanField(
                required=False, initial=False, label=purpose.name,
                help_text=purpose.explanation,
            )

    def clean_purposes(self) -> None:
        for purpose in self.purposes:
            if purpose.required and not self.cleaned_data.get(f"consent_{purpose.slug}"):
                self.add_error(f"consent_{purpose.slug}", _(
                    "We cannot process this form without this consent. Tick the box to agree, or do not send "
                    "the form."))

    def purposes_given(self) -> list[Purpose]:
        return [p for p in self.purposes if self.cleaned_data.get(f"consent_{p.slug}")]

    def consent_fields(self) -> list:
        return [self[f"consent_{p.slug}"] for p in self.purposes]
