"""Staff see masked data by default; revealing a record is a permission and is audited."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext as _

from apps.audit.services import Actor, audit_record

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
    change_form_template = "admin/subjects/datasubject_change_form.html"
    inlines = [EngagementInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # people arrive through the forms and the API

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # erasure goes through the vault, never a row delete

    def get_urls(self) -> list:
        reveal = self.admin_site.admin_view(self.reveal_view)
        return [path("<uuid:pk>/reveal/", reveal, name="subjects_datasubject_reveal"), *super().get_urls()]

    def reveal_view(self, request: HttpRequest, pk) -> HttpResponse:
        """Show one person's record in clear: needs the permission, a POST, and leaves an audit event."""
        if not request.user.has_perm("subjects.reveal_personal_data"):
            raise PermissionDenied
        subject = get_object_or_404(DataSubject, pk=pk)
        record = PersonalRecord.objects.filter(subject=subject).first()
        if request.method != "POST" or record is None:
            return redirect("admin:subjects_datasubject_change", pk)
        reason = request.POST.get("reason", "").strip()[:200]
        if not reason:
            self.message_user(request, _("Say why you need to see this person's data."), messages.ERROR)
            return redirect("admin:subjects_datasubject_change", pk)
        with transaction.atomic():
            audit_record(actor=Actor.staff(request.user), verb="pii.revealed", target=subject.pk,
                         detail={"reason_given": True})
        # admin_view() marks the response never_cache (no-store).
        return TemplateResponse(request, "admin/subjects/reveal.html", {
            **self.admin_site.each_context(request), "subject": subject, "record": record,
            "title": _("Personal data (revealed)"), "opts": self.model._meta,
        })

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

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # an engagement ends by completion, which queues the erasure

    @admin.action(description="Mark the service complete (erases the person's data)",
                  permissions=["change"])
    def complete_selected(self, request: HttpRequest, queryset) -> None:
        queued = 0
        for engagement in queryset.filter(status=ServiceEngagement.Status.OPEN):
            with transaction.atomic():
                if engagement_complete(engagement=engagement, actor=Actor.staff(request.user)):
                    queued += 1
        self.message_user(request, _("Completed; %(n)d erasure(s) queued.") % {"n": queued}, messages.SUCCESS)


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

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # documents go with their person's erasure, never one row at a time


admin.site.register(Controller)

