from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from apps.policies.selectors import policy_in_force
from apps.subjects.models import DataSubject

from .models import ConsentRecord, Purpose


def consents_current_for(*, subject: DataSubject) -> dict[str, ConsentRecord]:
    """The newest receipt per purpose slug."""
    current: dict[str, ConsentRecord] = {}
    for record in ConsentRecord.objects.filter(subject=subject).select_related("purpose", "policy_version"):
        current[record.purpose.slug] = record  # ordered by created_at: the last one wins
    return current


def purposes_for(collection_point: str) -> list[Purpose]:
    return [p for p in Purpose.objects.filter(active=True) if collection_point in p.collection_points]


def consent_receipt_for(subject_id, purpose_slug: str) -> str | None:
    """The id of the receipt by which the person's consent to a purpose stands; None if never given or withdrawn."""
    latest = (ConsentRecord.objects.filter(subject_id=subject_id, purpose__slug=purpose_slug)
              .order_by("-created_at").first())
    return str(latest.pk) if latest and latest.action == ConsentRecord.Action.GIVEN else None


def purpose_name(slug: str) -> str | None:
    """A purpose's name in the active language (/verify/ names a receipt's purpose by it); None if unknown."""
    purpose = Purpose.objects.filter(slug=slug).first()
    return purpose.name if purpose else None


def purposes_table() -> list[dict[str, str]]:
    """A row per active purpose for the policy's "what we collect, why, for how long, who receives it"
    table, in the active language (keyed "purpose:<slug>", with the table's columns)."""
    rows = []
    for p in Purpose.objects.filter(active=True).order_by("order", "slug"):
        retention = (ngettext("Kept for %(days)s day.", "Kept for %(days)s days.", p.retention_days)
                     % {"days": p.retention_days} if p.retention_days
                     else gettext("Kept until the service is complete, then deleted."))
        rows.append({"holding": f"purpose:{p.slug}", "categories": p.name, "purposes": p.explanation,
                     "legal_basis": str(p.get_legal_basis_display()),
                     "recipients": p.recipients or gettext("nobody outside the company"), "retention": retention})
    return rows


def form_missing(collection_point: str, *, purposes: list[Purpose] | None = None) -> list[str]:
    """What a form needs before it may collect anything: a policy version in force, and at least one
    required purpose (what the form's processing rests on). Empty when the form is open. `purposes`:
    the form's active purposes, if the caller has them already."""
    missing = []
    if policy_in_force() is None:
        missing.append(_("a privacy policy version in force"))
    if not any(p.required for p in (purposes_for(collection_point) if purposes is None else purposes)):
        missing.append(_("a required purpose for this form"))
    return missing
