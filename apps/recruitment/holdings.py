"""What this app holds about people, for the personal-data map (registered in RecruitmentConfig.ready)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.core.datamap import Category, Days, Delete, Holding
from apps.vault.fields import holds_value

HOLDINGS = [
    Holding(model="recruitment.PendingSubmission", person=None,
            categories=(Category.SUBMISSION, Category.IDENTITY, Category.CONTACT, Category.ADDRESS, Category.REFEREE,
                        Category.GOVERNMENT_ID, Category.ID_DOCUMENT, Category.PROFESSIONAL, Category.MESSAGE,
                        Category.SECURITY_CODE),
            purposes=(_("holding a form sent from our website until the owner of its email address proves it was "
                      "them (a code or a link sent to that address), so that nobody can apply, write or consent "
                      "in another person's name"),),
            legal_basis=_("consent, given on the form, applied only once the address's owner confirms it"),
            on_erasure=Delete(), retention=Days("INTAKE_BACKSTOP_DAYS"),
            not_exported=_("a form nobody has confirmed belongs to no person yet: it is sealed with a key of its own, "
                         "and it and its key are destroyed when it is confirmed or after INTAKE_PENDING_DAYS"),
            held_when=((Category.ID_DOCUMENT, holds_value("document")), (Category.PROFESSIONAL, holds_value("cv")))),
    Holding(model="recruitment.UploadKept", person=None,
            categories=(Category.ID_DOCUMENT, Category.PROFESSIONAL),
            purposes=(_("keeping a file attached to a form that came back with mistakes, so that the visitor need not "
                      "send it again"),),
            legal_basis=_("the visitor's request: they sent the file with the form"),
            on_erasure=Delete(), retention=Days(1, field="expires_at"),
            not_exported=_("a file of a form not sent yet belongs to no person: it is sealed with a key of its own, "
                         "and it and its key are destroyed when the form is sent or after UPLOAD_KEPT_MINUTES"),
            held_when=((Category.PROFESSIONAL, Q(field="cv")), (Category.ID_DOCUMENT, Q(field="id_document")))),
]
