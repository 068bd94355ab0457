"""What this app holds about people, for the personal-data map (registered in SubjectsConfig.ready)."""

import base64

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from apps.core.datamap import AsEvidence, Category, Delete, Holding, Keep, UntilErased
from apps.vault.fields import holds_value

from .models import IdentityDocument
from .services import document_read, lookups_erase_unheld, record_erase_unheld

SERVICES = (_("recruitment for client companies"), _("answering enquiries"))
CONSENT = _("consent, given on the form (or held by the controller and handed over with the record)")


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _person(rows: QuerySet) -> list[dict]:
    return [{"public_id": str(s.pk), "status": s.status, "created_at": _iso(s.created_at)} for s in rows]


def _records(rows: QuerySet) -> list[dict]:
    return [{"full_name": r.full_name, "email": r.email, "mobile": r.mobile.as_e164 if r.mobile else None,
             "address": r.address, "legal_id_type": r.legal_id_type,
             "legal_id_type_name": r.legal_id_type_label,  # in words, in the language of the request
             "legal_id_number": r.legal_id_number,
             "referees": [{k: v for k, v in referee.items() if k != "id"} for referee in r.referees],
             "experience": r.experience, "updated_at": _iso(r.updated_at)} for r in rows]


def _enquiries(rows: QuerySet) -> list[dict]:
    return [{"message": e.message, "sent_at": _iso(e.created_at)} for e in rows]


def _documents(rows: QuerySet) -> list[dict]:
    return [{"id": str(d.pk), "kind": d.kind, "content_type": d.content_type, "size_bytes": d.size,
             "uploaded_at": _iso(d.uploaded_at),
             "content_base64": base64.b64encode(b"".join(document_read(document=d))).decode()} for d in rows]


def _engagements(rows: QuerySet) -> list[dict]:
    return [{"service": e.service, "status": e.status, "reference": e.reference,
             "controller": e.controller.name if e.controller else None,
             "vacancy": {"id": str(e.vacancy_id), "title": e.vacancy.title} if e.vacancy_id else None,
             "opened_at": _iso(e.opened_at),
             "completed_at": _iso(e.completed_at), "last_activity_at": _iso(e.last_activity_at),
             "erased_if_no_activity_by": _iso(e.expires_at) if e.is_open else None}
            for e in rows.select_related("controller", "vacancy")]


def _holds(rows: QuerySet) -> list[dict]:
    return [{"basis": h.basis, "fields": h.fields, "until": _iso(h.until)} for h in rows]


def _holds_stay(rows: QuerySet, kept: frozenset[str]) -> list[str]:
    return []  # while a hold is active, the hold itself is what keeps the rest


def _erasure_jobs(rows: QuerySet) -> list[dict]:
    return [{"reason": j.reason, "state": j.state, "requested_at": _iso(j.created_at)} for j in rows]


def _reveals(rows: QuerySet) -> list[dict]:
    return [{"what": r.what, "reason": r.reason, "at": _iso(r.at)} for r in rows.order_by("at")]


HOLDINGS = [
    Holding(model="subjects.DataSubject", person="pk", categories=(Category.PERSON,), purposes=SERVICES,
            legal_basis=CONSENT, export=_person, export_key="person",
            on_erasure=Keep(_("the pseudonymous id and 'erased' status, so a private link can say the data is gone")),
            retention=AsEvidence(_("the pseudonymous id only, for the deletion certificate"))),
    Holding(model="subjects.PersonalRecord",
            categories=(Category.IDENTITY, Category.CONTACT, Category.ADDRESS, Category.REFEREE,
                        Category.GOVERNMENT_ID, Category.PROFESSIONAL),
            purposes=SERVICES, legal_basis=CONSENT, on_erasure=Delete(), retention=UntilErased(),
            export=_records, export_key="record", erase_unheld=record_erase_unheld,
            held_when=((Category.ADDRESS, holds_value("address")),
                       (Category.REFEREE, holds_value("referees", empty=b"[]")),
                       (Category.GOVERNMENT_ID, holds_value("legal_id_number")),
                       (Category.PROFESSIONAL, holds_value("experience"))),
            recipients=_("the client company hiring for the job, if the person agreed to sharing")),
    Holding(model="subjects.Enquiry", categories=(Category.MESSAGE,), purposes=(_("answering enquiries"),),
            legal_basis=CONSENT, on_erasure=Delete(), retention=UntilErased(), export=_enquiries,
            export_key="enquiries", hold_name="message"),
    Holding(model="subjects.IdentityDocument", categories=(Category.ID_DOCUMENT, Category.PROFESSIONAL),
            purposes=(_("recruitment for client companies"),), legal_basis=CONSENT, on_erasure=Delete(),
            retention=UntilErased(), export=_documents, export_key="documents", file_field="stored_name",
            hold_name="documents", recipients=_("the client company hiring for the job, if the person agreed"),
            held_when=((Category.ID_DOCUMENT, Q(kind=IdentityDocument.Kind.ID_SCAN)),
                       (Category.PROFESSIONAL, Q(kind=IdentityDocument.Kind.CV)))),
    Holding(model="subjects.SubjectLookup", categories=(Category.LOOKUP_INDEX,), purposes=SERVICES,
            legal_basis=CONSENT, on_erasure=Delete(), retention=UntilErased(), export_key="lookups",
            erase_unheld=lookups_erase_unheld,
            not_exported=_("a keyed hash of the email and phone in the record above; meaningless without our key")),
    Holding(model="subjects.ServiceEngagement", categories=(Category.SERVICE,), purposes=SERVICES,
            legal_basis=CONSENT, export=_engagements, export_key="engagements",
            on_erasure=Keep(_("which service ended and when, with no personal data, for the certificate; the "
                            "client's reference, which could point back to the person, is blanked"),
                            scrub=("reference",)),
            retention=AsEvidence(_("the pseudonymous service history behind a deletion certificate"))),
    Holding(model="subjects.LegalHold", categories=(Category.LEGAL_HOLD,),
            purposes=(_("meeting a legal obligation to keep named data"),),
            legal_basis=_("a legal obligation named on the hold"), on_erasure=Delete(), retention=UntilErased(),
            export=_holds, export_key="legal_holds", erase_unheld=_holds_stay),
    Holding(model="subjects.ErasureJob", categories=(Category.ERASURE,), purposes=(_("erasing the person's data"),),
            legal_basis=_("the person's right to erasure, and our promise to delete after the service"),
            export=_erasure_jobs, export_key="erasure_jobs",
            on_erasure=Keep(_("proof that the erasure was asked for and done; no personal data")),
            retention=AsEvidence(_("the record of an erasure, pseudonymous"))),
    Holding(model="subjects.Reveal", categories=(Category.STAFF_ACCESS,),
            purposes=(_("accountability: who on our staff saw the data in clear, and why"),),
            legal_basis=_("our duty to restrict access to staff who need to know, and to account for it"),
            on_erasure=Delete(), retention=UntilErased(), export=_reveals, export_key="staff_access"),
]
