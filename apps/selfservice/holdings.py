"""What this app holds, for the personal-data map (registered in SelfserviceConfig.ready)."""

from django.utils.translation import gettext_lazy as _

from apps.core.datamap import Category, Days, Delete, Holding

HOLDINGS = [
    Holding(model="selfservice.StepUpCode", categories=(Category.SECURITY_CODE,),
            purposes=(_("proving that whoever holds a private link also holds the mailbox or phone on file"),),
            legal_basis=_("security of processing"), on_erasure=Delete(), retention=Days(1), export_key="codes",
            not_exported=_("a keyed hash of a one-time code that expired minutes after it was sent")),
    Holding(model="selfservice.LinkRequest", person=None, categories=(Category.LINK_REQUEST,),
            purposes=(_("sending a new private link to an address we hold"),), legal_basis=_("the person's request"),
            on_erasure=Delete(), retention=Days(1), export_key="link_requests",
            not_exported=_("a keyed hash of the address typed on /me/resend/, linked to nobody until it is "
                         "looked up, and gone within seconds")),
]
