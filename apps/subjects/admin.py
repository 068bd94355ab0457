"""Staff see masked data by default; revealing a record is a permission and is audited."""

from django.contrib import admin, messages
from django.db import transaction
from django.http import HttpRequest
from django.utils.html import format_html

from apps.audit.services import Actor

from .masking import mask
from .models import Controller, DataSubject, ErasureJob, IdentityDocument, PersonalRecord, ServiceEngagement
from .services import engagement_complete


class EngagementInline(admin.TabularInline):
    model = ServiceEngagement
    extra = 0
    fields = ["service", "reference", "controller", "status", "opened_at", "completed_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True


@admin.register(DataSubject)
class DataSubjectAdmin(admin.ModelAdmin):
    list_display = ["id", "status", "created_at", "erased_at"]
    list_filter = ["status"]
    search_fields = ["id"]
    readonly_fields = ["id", "status", "created_at", "erased_at", "masked_record"]
    fields = readonly_fields
    inlines = [EngagementInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # people arrive through the forms and the API

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # erasure goes through the vault, never a row delete

    @admin.display(description="Record (masked)")
    def masked_record(self, obj: DataSubject) -> str:
        record = PersonalRecord.objects.filter(subject=obj).first()
        if record is None:
            return "—"
        return format_html("{} · {} · {}", mask(record.full_name), mask(record.email), mask(record.mobile))


@admin.register(ServiceEngagement)
class ServiceEngagementAdmin(admin.ModelAdmin):
    list_display = ["id", "service", "reference", "controller", "status", "opened_at", "completed_at"]
    list_filter = ["status", "service", "controller"]
    search_fields = ["reference", "id"]
    list_select_related = ["controller"]
    readonly_fields = ["subject", "status", "opened_at", "completed_at"]
    actions = ["complete_selected"]

    @admin.action(description="Mark the service complete (erases the person's data)",
                  permissions=["change"])
    def complete_selected(self, request: HttpRequest, queryset) -> None:
        queued = 0
        for engagement in queryset.filter(status=ServiceEngagement.Status.OPEN):
            with transaction.atomic():
                if engagement_complete(engagement=engagement, actor=Actor.staff(request.user)):
                    queued += 1
        self.message_user(request, f"Completed; {queued} erasure(s) queued.", messages.SUCCESS)


@admin.register(ErasureJob)
class ErasureJobAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "reason", "state", "attempts", "created_at", "finished_at", "certificate_id"]
    list_filter = ["state", "reason"]
    readonly_fields = [f.name for f in ErasureJob._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(IdentityDocument)
class IdentityDocumentAdmin(admin.ModelAdmin):
    list_display = ["id", "subject", "content_type", "size", "uploaded_at"]
    readonly_fields = ["id", "subject", "content_type", "size", "uploaded_at"]
    exclude = ["stored_name"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


admin.site.register(Controller)

