"""Transfers of personal data outside Kenya (Data Protection Act 2019, Part VI, ss.48-50; Data Protection (General)
Regulations 2021, reg. 40): every recipient names the country where it processes the data, and one outside Kenya
needs a recorded basis for the transfer before anything is sent to it. Shared by the disclosure register
(apps.policies) and client companies (apps.subjects), which keep the fields; here only the vocabulary and the rule."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

HOME_COUNTRY = "KE"
country_code = RegexValidator(r"^[A-Z]{2}$", _("Enter the country as its two-letter ISO code, for example KE or GB."))


class Safeguard(models.TextChoices):
    """The bases reg. 40 names for a transfer out of Kenya (necessity is not offered: a recipient is recorded once,
    not per transfer)."""

    NONE = "", _("None recorded")
    ADEQUACY = "adequacy", _("An adequacy decision of the Data Commissioner")
    APPROPRIATE = "appropriate-safeguards", _("Appropriate safeguards (a binding agreement with the recipient)")
    CONSENT = "consent", _("The person's consent to the transfer")


class TransferRefused(Exception):
    """A recipient outside Kenya has no recorded safeguard: nothing may be sent to it."""


def transfer_check(*, country: str, safeguard: str) -> None:
    """TransferRefused unless the recipient is in Kenya or a safeguard is recorded for it."""
    if (country or HOME_COUNTRY) != HOME_COUNTRY and safeguard not in {s.value for s in Safeguard if s.value}:
        raise TransferRefused(country)


def transfer_label(*, country: str, safeguard: str) -> str:
    """How the policy table and the records of processing describe where a recipient processes data."""
    country = country or HOME_COUNTRY
    if country == HOME_COUNTRY:
        return str(_("in Kenya"))
    return str(_("outside Kenya (%(country)s), under: %(safeguard)s") % {
        "country": country, "safeguard": Safeguard(safeguard).label if safeguard in Safeguard.values
        else Safeguard.NONE.label})
