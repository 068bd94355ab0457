"""What the key store holds about people, for the personal-data map (registered in VaultConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from apps.core.datamap import AsEvidence, Category, Delete, Holding, Keep, UntilErased

HOLDINGS = [
    # Destroyed by the erasure itself (apps.vault.services, first of all), so not through the map:
    # `person=None` keeps the map's own deletions away from it.
    Holding(model="vault.DataKey", categories=(Category.DATA_KEY,), person=None,
            purposes=(_("encrypting the person's data, so that destroying this key makes every copy unreadable"),),
            legal_basis=_("the basis of the data it encrypts"),
            on_erasure=Delete(), retention=UntilErased(), export=None,
            not_exported=_("a key, stored only wrapped by our master key: useless to you and to anyone without it")),
    Holding(model="vault.DeletionCertificate", categories=(Category.ERASURE_EVIDENCE,), person="subject_id",
            purposes=(_("proving to the person, and to anyone they show it to, that their data was destroyed"),),
            legal_basis=_("the person's request to delete their data, or the end of its retention period"),
            on_erasure=Keep(_("it is the proof of the erasure: the pseudonymous id, the categories and the counts "
                            "of what was destroyed, never a value")),
            retention=AsEvidence(_("signed and in the public log, for as long as the law lets someone ask us to prove "
                                 "the erasure")),
            export=None, not_exported=_("it exists once your data is erased; it is emailed to you and published at "
                                      "/certificates/<id>.jws")),
    # A hash of a signed certificate: it names a certificate, not a person.
    Holding(model="vault.LogLeaf", categories=(Category.ERASURE_EVIDENCE,), person=None,
            purposes=(_("the public, append-only log of deletion certificates, so nobody can drop one quietly"),),
            legal_basis=_("the person's request to delete their data, or the end of its retention period"),
            on_erasure=Keep(_("a hash of the signed certificate, no value and no id in clear")),
            retention=AsEvidence(_("append-only, for as long as the log is published")),
            export=None, not_exported=_("a hash; the proof of your certificate's place in the log is at "
                                      "/transparency/proof/inclusion")),
]
