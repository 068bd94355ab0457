"""What this app holds about people, for the personal-data map (registered in ConsentConfig.ready)."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from apps.core.datamap import AsEvidence, Category, Days, Delete, Holding, Keep

from .receipts import receipt_sign


def _receipts(rows: QuerySet) -> list[dict]:
    # Each with its signed form (JWS), which the person can check at /verify/ or offline.
    return [{"purpose": c.purpose.slug, "action": c.action, "at": c.created_at.isoformat(),
             "agreed_at": c.consented_at.isoformat() if c.consented_at else None,
             "policy_version": c.policy_version.version if c.policy_version else None, "source": c.source,
             "collection_point": c.collection_point, "form_version": c.form_version,
             "wording_sha256": c.wording_sha256, "language": c.language or None,
             "notice_version": c.notice.version if c.notice else None, "legal_basis": c.legal_basis or None,
             "words_shown": c.notice.paragraphs if c.notice else None, "browser": c.user_agent_summary,
             "handed_over_by": ({"client_company": c.controller.name,
                                 "obtained_at": c.obtained_at.isoformat() if c.obtained_at else None,
                                 "obtained_how": c.obtained_how} if c.controller_id else None),
             "signed": receipt_sign(c)}
            for c in rows.select_related("purpose", "policy_version", "notice", "controller")]


def _submissions(rows: QuerySet) -> list[dict]:
    # A form not applied was sent with the person's address, maybe by someone else: what it ticked is not
    # what the person agreed to.
    return [{"form": s.kind, "fields_given": s.fields,
             **({"purposes_agreed": s.purposes} if s.applied else
                {"applied": False, "purposes_ticked_by_the_sender": s.purposes}),
             "vacancy": str(s.vacancy_id) if s.vacancy_id else None,
             "sent_at": s.created_at.isoformat()} for s in rows]


HOLDINGS = [
    Holding(model="consent.ConsentRecord", categories=(Category.CONSENT_EVIDENCE,),
            purposes=(_("proving who agreed to which purpose, under which policy, seeing which words"),),
            legal_basis=_("a legal obligation: a controller must be able to prove consent"),
            on_erasure=Keep(_("proof of consent: the person's key is destroyed, so the keyed hash of their IP "
                            "address is unreadable and the receipt keeps only the pseudonymous id")),
            retention=AsEvidence(_("proof of consent outlives the data it covered")),
            export=_receipts, export_key="consents"),
    Holding(model="consent.Submission", categories=(Category.SUBMISSION,),
            purposes=(_("recognising a form sent twice, and confirming what was sent"),),
            legal_basis=_("consent, given on the form"), on_erasure=Delete(), retention=Days(30),
            export=_submissions, export_key="submissions"),
    Holding(model="consent.RefereeNotice", person=None, categories=(Category.REFEREE,),
            purposes=(_("sending a phone number at most one referee message per period, so nobody is spammed"),),
            legal_basis=_("the referee's interest in not being messaged repeatedly"),
            on_erasure=Delete(), retention=Days("REFEREE_NOTICE_INTERVAL_DAYS", field="sent_at"),
            export_key="referee_notices",
            not_exported=_("a keyed hash of a referee's number, linked to no applicant")),
]
