"""Everything done to a person's data, by sub-domain: people, documents, engagements, erasure, retention,
vacancies.

Callers may import from here or from the sub-module; both name the same functions.
"""

from ..models import REVEAL_REASONS_WHILE_RESTRICTED
from .documents import (
    DocumentRejected,
    document_add,
    document_check,
    document_read,
    document_reveal,
    sniff_content_type,
)
from .engagements import (
    application_renew,
    engagement_change,
    engagement_complete,
    engagement_open,
    engagements_complete,
    engagements_keep,
    engagements_restricted,
)
from .erasure import (
    Outcome,
    Reason,
    erasure_job_run,
    erasure_jobs_redrive,
    erasure_jobs_release,
    erasure_jobs_resume,
    erasure_jobs_run,
    erasure_jobs_waiting_for,
    erasure_notices_register,
    erasure_request,
    erasures_reapply,
    erasures_request,
    key_owners_register,
    legal_hold_place,
    lookups_erase_unheld,
    orphans_remove,
    record_erase_unheld,
    subject_erase,
    subject_erase_now,
    subjects_erase,
)
from .people import (
    RECORD_FIELDS,
    RevealReasonMissing,
    activity_touch,
    enquiry_add,
    enquiry_reveal,
    lookup_digest,
    normalise_email,
    normalise_phone,
    record_update,
    subject_create,
    subject_export,
    subject_links_revoke,
    subject_reveal,
    subjects_find,
    subjects_matching,
)
from .restriction import restricted_any, restriction_lift, restriction_set
from .retention import (
    DueNotice,
    enforce_retention,
    engagements_expired,
    people_due_notice,
    person_notice_claim,
    rows_expire,
)
from .vacancies import (
    VacancyClosed,
    vacancies_close_due,
    vacancies_due,
    vacancy_close,
    vacancy_close_preview,
    vacancy_ensure,
    vacancy_hold_open,
    vacancy_save,
)

__all__ = [
    "RECORD_FIELDS", "DocumentRejected", "RevealReasonMissing", "DueNotice", "Outcome", "Reason", "activity_touch",
    "document_add",
    "document_read", "document_reveal", "enquiry_reveal", "people_due_notice", "person_notice_claim",
    "engagement_change", "engagement_complete", "engagement_open", "engagements_complete",
    "engagements_expired", "engagements_keep", "enforce_retention", "enquiry_add",
    "erasure_job_run", "erasure_notices_register", "erasure_jobs_redrive", "erasure_jobs_resume", "erasure_jobs_run",
    "erasure_request",
    "erasures_reapply",
    "erasures_request", "legal_hold_place", "lookup_digest", "lookups_erase_unheld", "normalise_email",
    "key_owners_register", "normalise_phone", "orphans_remove", "record_erase_unheld", "record_update",
    "rows_expire", "sniff_content_type",
    "subject_create", "subject_erase", "subject_erase_now", "subject_export", "subject_links_revoke",
    "subject_reveal", "subjects_erase", "subjects_find", "subjects_matching",
    "VacancyClosed", "application_renew", "document_check", "vacancies_close_due", "vacancies_due",
    "vacancy_close", "vacancy_close_preview", "vacancy_ensure", "vacancy_hold_open", "vacancy_save",
    "engagements_restricted", "erasure_jobs_release", "erasure_jobs_waiting_for", "REVEAL_REASONS_WHILE_RESTRICTED",
    "restricted_any", "restriction_lift", "restriction_set",
]
