"""What this app holds about people, for the personal-data map (registered in NotificationsConfig.ready)."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from apps.core.datamap import Category, Days, Delete, Holding, Keep, UntilErased


def _notifications(rows: QuerySet) -> list[dict]:
    # The address is the person's own; the context (which can hold a private link or a code) is not shown.
    return [{"channel": n.channel, "message": n.template, "to": n.recipient, "language": n.language,
             "status": n.status, "queued_at": n.created_at.isoformat(),
             "sent_at": n.sent_at.isoformat() if n.sent_at else None} for n in rows.order_by("created_at")]


HOLDINGS = [
    Holding(model="notifications.Notification", categories=(Category.NOTIFICATION, Category.CONTACT),
            purposes=(_("confirming what was received, sending private links and codes, telling people of changes"),),
            legal_basis=_("consent, and our duty to tell people how to reach their data"),
            recipients=_("our email server and SMS provider (Africa's Talking), to deliver the message"),
            on_erasure=Delete(), retention=UntilErased(), export=_notifications, export_key="messages_sent"),
    # Not linked to a person (erasure must not delete it: it is the message saying the erasure is done).
    Holding(model="notifications.ErasureNotice", categories=(Category.NOTIFICATION, Category.CONTACT), person=None,
            purposes=(_("telling a person that their data is deleted, with the deletion certificate, whatever ended "
                      "their service"),),
            legal_basis=_("our duty to tell people what we did with their data (the erasure the policy promises)"),
            recipients=_("our email server or SMS provider, to deliver the message"),
            on_erasure=Keep(_("it is the message that confirms the erasure: the address in it is sealed under a key of "
                            "its own, kept only in the cache for at most ERASURE_NOTICE_HOURS, and the row goes as "
                            "soon as the message is sent, fails or expires")),
            retention=Days(1, field="expires_at"), export=None,
            not_exported=_("it exists only while a deleted person's confirmation is on its way")),
]
