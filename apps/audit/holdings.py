"""What the audit log holds about people, for the personal-data map (registered in AuditConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from apps.core.datamap import AsEvidence, Category, Holding, Keep

HOLDINGS = [
    # An event names the person only by their public id (as its target, or as the actor of what they did
    # themselves); its detail holds ids, counts and field names, never a value.
    Holding(model="audit.AuditEvent", categories=(Category.AUDIT_TRAIL,), person="target",
            purposes=(_("proving what was done with a person's data, when and by whom (accountability)"),),
            legal_basis=_("legal obligation: accountability for processing (the Data Protection Act, s. 25 and 41)"),
            on_erasure=Keep(_("it is evidence of how the data was handled, the erasure included; it names the person "
                            "only by the pseudonymous id, which nothing links to them once their data is erased")),
            retention=AsEvidence(_("append-only and hash-chained, for as long as the law lets someone ask us to prove "
                                 "how we handled their data")),
            export=None, not_exported=_("it holds ids and actions, no value of yours; the privacy officer can give "
                                      "you the events about you on request")),
]
