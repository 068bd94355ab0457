from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["at", "verb", "actor_type", "actor_id", "target", "chain", "seq"]
    list_filter = ["verb", "actor_type"]
    search_fields = ["target", "verb"]
    date_hierarchy = "at"
