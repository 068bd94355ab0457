"""What this app holds about people, for the personal-data map (registered in StaffConfig.ready).

Breaches hold counts and categories only, never a person, so they are not a holding; who was told of a
breach (BreachNotice) is."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from apps.core.datamap import AsEvidence, Category, Holding, Keep


def _rights_requests(rows: QuerySet) -> list[dict]:
    return [{"type": r.kind, "received_by": r.channel, "received_at": r.received_at.isoformat(),
             "due_at": r.due_at.isoformat(), "state": r.state, "outcome": r.outcome,
             "completed_at": r.completed_at.isoformat() if r.completed_at else None} for r in rows]


def _breach_notices(rows: QuerySet) -> list[dict]:
    return [{"breach_discovered_at": n.breach.discovered_at.isoformat(), "what_happened": n.breach.summary,
             "notified_at": n.notified_at.isoformat()} for n in rows.select_related("breach").order_by("notified_at")]


HOLDINGS = [
    Holding(model="staff.BreachNotice", categories=(Category.BREACH,),
            purposes=(_("telling people affected by a personal-data breach"),),
            legal_basis=_("a legal obligation: the Data Protection Act, 2019, s.43"),
            export=_breach_notices, export_key="breach_notices",
            on_erasure=Keep(_("proof that the person was told of the breach; the public id only, no personal data")),
            retention=AsEvidence(_("the register of who was told of a breach and when, pseudonymous"))),
    Holding(model="staff.RightsRequest", categories=(Category.RIGHTS_REQUEST,),
            purposes=(_("answering requests to exercise data-protection rights"),),
            legal_basis=_("a legal obligation: the Data Protection Act, 2019, and its regulations"),
            export=_rights_requests, export_key="rights_requests",
            on_erasure=Keep(_("proof that the request was answered in time; the public id only, no personal data")),
            retention=AsEvidence(_("the record of a rights request and its outcome, pseudonymous"))),
]
