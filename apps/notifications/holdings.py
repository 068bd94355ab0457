"""What this app holds about people, for the personal-data map (registered in NotificationsConfig.ready)."""

from django.db.models import QuerySet

from apps.core.datamap import Category, Delete, Holding, UntilErased


def _notifications(rows: QuerySet) -> list[dict]:
    # The address is the person's own; the context (which can hold a private link or a code) is not shown.
    return [{"channel": n.channel, "message": n.template, "to": n.recipient, "language": n.language,
             "status": n.status, "queued_at": n.created_at.isoformat(),
             "sent_at": n.sent_at.isoformat() if n.sent_at else None} for n in rows.order_by("created_at")]


HOLDINGS = [
    Holding(model="notifications.Notification", categories=(Category.NOTIFICATION, Category.CONTACT),
            purposes=("confirming what was received, sending private links and codes, telling people of changes",),
            legal_basis="consent, and our duty to tell people how to reach their data",
            recipients="our email server and SMS provider (Africa's Talking), to deliver the message",
            on_erasure=Delete(), retention=UntilErased(), export=_notifications, export_key="messages_sent"),
]
