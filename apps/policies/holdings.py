"""What this app holds about people, for the personal-data map (registered in PoliciesConfig.ready)."""

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.core.datamap import AsEvidence, Category, Delete, Holding, Keep, UntilErased

from .receipts import choice_receipt_sign


def _disclosures(rows: QuerySet) -> list[dict]:
    # A disclosure the law requires may be kept from the person until its review date (restricted_until).
    visible = rows.filter(Q(restricted_until__isnull=True) | Q(restricted_until__lte=timezone.localdate()))
    return [{"recipient": d.recipient, "data_categories": d.data_categories, "legal_basis": d.legal_basis,
             "policy_version": d.policy_version.version if d.policy_version else None,
             "consent_receipt": d.consent_receipt or None, "reference": d.reference or None,
             "disclosed_at": d.disclosed_at.isoformat()}
            for d in visible.select_related("policy_version").order_by("disclosed_at")]


def _choices(rows: QuerySet) -> list[dict]:
    # Each with its signed form (JWS), which the person can check at /verify/ or offline.
    return [{"disclosure": c.disclosure_key, "choice": c.choice, "policy_version": c.version.version,
             "source": c.source, "at": c.created_at.isoformat(), "signed": choice_receipt_sign(c)}
            for c in rows.select_related("version").order_by("created_at")]


def _campaigns(rows: QuerySet) -> list[dict]:
    return [{"policy_version": r.campaign.version.version, "emailed": r.email_id is not None,
             "texted": r.sms_id is not None, "call_outcome": r.call_outcome or None}
            for r in rows.select_related("campaign__version")]


HOLDINGS = [
    Holding(model="policies.Disclosure", categories=(Category.DISCLOSURE,),
            purposes=(_("recording each disclosure to a third party and its legal basis"),),
            legal_basis=_("a legal obligation: accountability for every disclosure"),
            on_erasure=Keep(_("proof of what was disclosed, to whom and why: it names the pseudonymous id only")),
            retention=AsEvidence(_("a disclosure must be accounted for after the data is gone")),
            export=_disclosures, export_key="disclosures"),
    Holding(model="policies.DisclosureChoice", categories=(Category.CONSENT_EVIDENCE,),
            purposes=(_("proving who opted out of or in to a new disclosure, under which policy version"),),
            legal_basis=_("a legal obligation: a controller must be able to prove consent and objections"),
            on_erasure=Keep(_("proof of the person's choice: it names the pseudonymous id only")),
            retention=AsEvidence(_("proof of a choice outlives the data it covered")),
            export=_choices, export_key="disclosure_choices"),
    Holding(model="policies.CampaignRecipient", categories=(Category.NOTIFICATION,),
            purposes=(_("telling people of a policy change once, and calling those no message reached"),),
            legal_basis=_("our duty to tell people before we disclose their data in a new way"),
            on_erasure=Delete(), retention=UntilErased(), export=_campaigns, export_key="policy_change_notices"),
]
