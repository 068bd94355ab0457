from django.contrib import admin

from apps.core.admin import ReadOnlyAdmin

from .models import DeletionCertificate


@admin.register(DeletionCertificate)
class DeletionCertificateAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "subject_id", "reason", "completed_at", "job_id"]
    list_filter = ["reason"]
    search_fields = ["id", "subject_id"]
    readonly_fields = ["id", "subject_id", "reason", "categories", "counts", "key_destroyed_at", "completed_at",
                       "job_id"]
