"""Staff see masked data by default; revealing a record is a permission and is audited."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext as _

from apps.audit.services import Actor

from .masking import mask
from .models import Controller, DataSubject, ErasureJob, IdentityDocument, PersonalRecord, ServiceEngagement
from .services import engagement_change, engagement_open, engagements_complete, subject_reveal


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
        subject_reveal(subject=subject, actor=Actor.staff(request.user))
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
    raw_id_fields = ["subject"]
    actions = ["complete_selected"]

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["subject", "service", "reference", "controller", "status", "opened_at", "last_activity_at",
                "completed_at"] if obj else ["subject", "service", "reference", "controller"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        if obj is None:
            return []
        return ["subject", "service", "status", "opened_at", "last_activity_at", "completed_at"]

    def save_model(self, request: HttpRequest, obj: ServiceEngagement, form, change: bool) -> None:
        """An application received by email or phone opens a service; an edit changes its reference."""
        actor = Actor.staff(request.user)
        if change:
            engagement_change(engagement=obj, actor=actor,
                              changes={name: form.cleaned_data[name] for name in form.changed_data})
        else:
            saved = engagement_open(subject=form.cleaned_data["subject"], actor=actor,
                                    service=form.cleaned_data["service"], reference=form.cleaned_data["reference"],
                                    controller=form.cleaned_data["controller"])
            obj.pk = saved.pk

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # an engagement ends by completion, which queues the erasure

    @admin.action(description="Mark the service complete (erases the person's data)",
                  permissions=["change"])
    def complete_selected(self, request: HttpRequest, queryset) -> None:
        jobs = engagements_complete(engagement_ids=list(queryset.values_list("pk", flat=True)),
                                    actor=Actor.staff(request.user))
        self.message_user(request, _("Completed; %(n)d erasure(s) queued.") % {"n": len(jobs)}, messages.SUCCESS)


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

