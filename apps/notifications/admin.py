"""Delivery records for staff: what was sent, when, how often tried. Never the address or content."""

from django.contrib import admin
from django.http import HttpRequest

from .models import Notification

VISIBLE = ["id", "subject", "channel", "template", "language", "status", "attempts", "last_error",
           "provider_message_id", "created_at", "queued_at", "claimed_at", "sent_at"]


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "channel", "template", "language", "attempts", "last_error", "created_at",
                    "queued_at", "sent_at"]
    list_filter = ["status", "channel", "template"]
    search_fields = ["=id", "=subject__id"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    # The sealed recipient and context are never shown, decrypted or not.
    fields = VISIBLE
    readonly_fields = VISIBLE
    list_select_related = False
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest):
        # Do not load the sealed columns at all.
        return super().get_queryset(request).defer("recipient", "context")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # notifications are queued by the services that need them

    def has_change_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Notification | None = None) -> bool:
        return False  # rows go with the person's erasure
