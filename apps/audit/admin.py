from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from apps.core.admin import ReadOnlyAdmin

from .models import AuditEvent


def detail_table(detail: dict) -> str:
    """An event's detail (ids, counts, field names) as a readable table, not raw JSON."""
    if not detail:
        return "—"

    def show(value) -> str:
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if isinstance(value, dict):
            return "; ".join(f"{k}: {v}" for k, v in value.items())
        return str(value)

    rows = format_html_join("", "<tr><th scope=\"row\">{}</th><td>{}</td></tr>",
                            ((key.replace("_", " "), show(value)) for key, value in sorted(detail.items())))
    return format_html('<table class="detail-table">{}</table>', rows)


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["at", "verb", "actor", "target", "position"]
    list_filter = ["verb", "actor_type"]
    search_fields = ["target", "verb"]
    date_hierarchy = "at"
    fields = ["at", "verb", "actor_type", "actor_id", "target", "readable_detail", "chain", "seq", "prev_hash", "hash"]
    readonly_fields = fields

    @admin.display(description=_("actor"), ordering="actor_type")
    def actor(self, obj: AuditEvent) -> str:
        return f"{obj.get_actor_type_display()} {obj.actor_id}".strip()

    @admin.display(description=_("chain · seq"), ordering="chain")
    def position(self, obj: AuditEvent) -> str:
        return f"{obj.chain} · {obj.seq}"

    @admin.display(description=_("detail"))
    def readable_detail(self, obj: AuditEvent) -> str:
        return detail_table(obj.detail)
