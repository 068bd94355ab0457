from django.contrib import admin

from .models import DeletionCertificate


@admin.register(DeletionCertificate)
class DeletionCertificateAdmin(admin.ModelAdmin):
    list_display = ["id", "subject_id", "reason", "completed_at", "job_id"]
    list_filter = ["reason"]
    search_fields = ["id", "subject_id"]
    readonly_fields = ["id", "subject_id", "reason", "categories", "counts", "key_destroyed_at", "completed_at",
                       "job_id"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
