"""Staff see masked data by default; revealing a record, a message or a document needs the permission,
a reason, and is audited (apps.subjects.services.people.reveal_write)."""

import logging
import uuid

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from modeltranslation.admin import TranslationAdmin

from apps.audit.services import Actor
from apps.core.admin import ReadOnlyAdmin
from apps.vault.crypto import DecryptionError
from apps.vault.services import KeyDestroyed

from .forms import FindPersonForm, PersonField, RevealForm
from .masking import mask
from .models import (
    Controller,
    DataSubject,
    Enquiry,
    ErasureJob,
    IdentityDocument,
    PersonalRecord,
    Reveal,
    ServiceEngagement,
    SubjectRestricted,
    Vacancy,
)
from .services import (
    document_reveal,
    engagement_change,
    engagement_open,
    enquiry_reveal,
    lookup_digest,
    subject_reveal,
    vacancy_save,
)
from .services.bulk import (
    ApprovalRefused,
    ErasurePreview,
    engagements_complete_checked,
    engagements_complete_preview,
    vacancies_close_checked,
    vacancies_close_preview,
)

logger = logging.getLogger(__name__)
REVEAL_PERMISSION = "subjects.reveal_personal_data"
DOCUMENT_EXTENSIONS = {"application/pdf": "pdf", "image/png": "png", "image/jpeg": "jpg"}


# Actions on the people list that belong to apps above this one (the staff app's "tell about a breach"):
# registered from their admin modules as (action, permission the user needs).
_person_actions: list[tuple] = []


def person_action_register(action, *, permission: str) -> None:
    if all(registered is not action for registered, _perm in _person_actions):
        _person_actions.append((action, permission))


RESTRICTED_MESSAGE = gettext_lazy("Processing of this person's data is restricted: only the privacy officer can "
                                  "lift the restriction.")


KEY_UNAVAILABLE = gettext_lazy("key unavailable")
ERASED_MESSAGE = gettext_lazy("This person's data has just been erased: there is nothing left to show.")


def _is_uuid(term: str) -> bool:
    try:
        uuid.UUID(term)
    except ValueError:
        return False
    return True


def _masked_of(subject: DataSubject) -> dict[str, str] | None:
    """The person's name, email and mobile, masked, opened once per row; None once the record is gone.
    An erasure destroys the key before it deletes the rows, so a page can meet the rows without their key
    for a moment: that reads as erased, not as an error."""
    if not hasattr(subject, "_masked"):
        try:
            record = subject.record
            subject._masked = {"name": mask(record.full_name), "email": mask(record.email),
                               "mobile": mask(record.mobile) if record.mobile else ""}
        except (PersonalRecord.DoesNotExist, KeyDestroyed):
            subject._masked = None
        except (DecryptionError, ImproperlyConfigured):
            # Wrapped under a master key this process lacks, or damaged: one row says so, the list still works.
            logger.error("a person's data key cannot be opened subject=%s", subject.pk)
            subject._masked = {"name": str(KEY_UNAVAILABLE), "email": "—", "mobile": ""}
    return subject._masked


class FoundByFilter(admin.SimpleListFilter):
    """The people whose blind index matches what was searched (the search form posts, then redirects here
    with the keyed hash only, so the address itself never appears in a URL)."""

    title = gettext_lazy("found by")
    parameter_name = "lookup"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        value = self.value()
        return [(value, _("the email or mobile number searched"))] if value else []

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        kind, _sep, digest = (self.value() or "").partition(":")
        if not digest:
            return queryset
        return queryset.filter(lookups__kind=kind, lookups__digest=digest)


class RestrictedFilter(admin.SimpleListFilter):
    title = gettext_lazy("processing")
    parameter_name = "restricted"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("yes", _("Restricted")), ("no", _("Not restricted"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() in ("yes", "no"):
            return queryset.filter(restricted_at__isnull=self.value() == "no")
        return queryset


class EngagementInline(admin.TabularInline):
    model = ServiceEngagement
    extra = 0
    fields = ["service", "vacancy", "reference", "controller", "status", "opened_at", "completed_at"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(DataSubject)
class DataSubjectAdmin(admin.ModelAdmin):
    list_display = ["short_id", "masked_name", "masked_email", "masked_mobile", "status", "restricted",
                    "open_applications", "open_enquiries", "created_at"]
    list_display_links = ["short_id"]
    # Purpose: the purposes the person's consent receipts name (the consent app's relation, by path).
    list_filter = [FoundByFilter, "status", RestrictedFilter, ("engagements__service", admin.ChoicesFieldListFilter),
                   ("consents__purpose", admin.RelatedOnlyFieldListFilter),
                   ("engagements__controller", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["id"]  # replaced by get_search_results: exact matches only, through the blind index
    readonly_fields = ["id", "status", "restriction", "created_at", "erased_at", "masked_record"]
    fields = readonly_fields
    change_form_template = "admin/subjects/datasubject_change_form.html"
    inlines = [EngagementInline]
    list_per_page = 50

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        open_ = Q(engagements__status=ServiceEngagement.Status.OPEN)
        return super().get_queryset(request).select_related("record").annotate(
            open_application_count=Count("engagements", distinct=True, filter=open_ & Q(
                engagements__service=ServiceEngagement.Service.RECRUITMENT)),
            open_enquiry_count=Count("engagements", distinct=True, filter=open_ & Q(
                engagements__service=ServiceEngagement.Service.ENQUIRY)),
        )

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        """Exact matches only: an email or mobile number through its blind index, a public id, a reference."""
        term = search_term.strip()
        if not term:
            return queryset, False
        kind, digest = lookup_digest(term)
        if digest:
            return queryset.filter(lookups__kind=kind, lookups__digest=digest), True
        if _is_uuid(term):
            return queryset.filter(pk=uuid.UUID(term)), False
        return queryset.filter(engagements__reference=term), True

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # people arrive through the forms, the API, and staff's "add a person" page (apps.staff)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # read-only here: corrections go through the person's own page or a rights request

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        for action, permission in _person_actions:
            if request.user.has_perm(permission):
                actions[action.__name__] = (action, action.__name__, action.short_description)
        return actions

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # erasure goes through the vault, never a row delete

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("find/", wrap(self.find_view), name="subjects_datasubject_find"),
            path("<uuid:pk>/reveal/", wrap(self.reveal_view), name="subjects_datasubject_reveal"),
            *super().get_urls(),
        ]

    def find_view(self, request: HttpRequest) -> HttpResponse:
        """The search box posts here; we redirect with the keyed hash (or a public id or reference) only."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        changelist = reverse("admin:subjects_datasubject_changelist")
        form = FindPersonForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            return redirect(changelist)
        term = form.cleaned_data["q"].strip()
        kind, digest = lookup_digest(term)
        if digest:
            return redirect(f"{changelist}?{urlencode({'lookup': f'{kind}:{digest}'})}")
        # Anything else reaches the address bar (and the access logs) only if it is a public id or a
        # reference we hold: a name or a mistyped number typed here never does.
        if _is_uuid(term) or ServiceEngagement.objects.filter(reference=term).exists():
            return redirect(f"{changelist}?{urlencode({'q': term})}")
        self.message_user(request, _("Nobody found. Search by the exact email address, mobile number, public id "
                                     "or reference."), messages.WARNING)
        return redirect(changelist)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        subject = self.get_object(request, object_id)
        extra = {"reveal_form": RevealForm(), "can_reveal": request.user.has_perm(REVEAL_PERMISSION)}
        if subject is not None:
            extra["enquiries"] = list(Enquiry.objects.filter(subject=subject).order_by("-created_at"))
            extra["documents"] = list(IdentityDocument.objects.filter(subject=subject).order_by("-uploaded_at"))
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def reveal_view(self, request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
        """One person's record in clear, for this page view only: the permission, a POST with a reason."""
        if not request.user.has_perm(REVEAL_PERMISSION):
            raise PermissionDenied
        subject = get_object_or_404(DataSubject, pk=pk, status=DataSubject.Status.ACTIVE)
        form = RevealForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            self.message_user(request, _("Say why you need to see this person's data."), messages.ERROR)
            return redirect("admin:subjects_datasubject_change", pk)
        try:
            record = subject_reveal(subject=subject, staff_user=request.user, **form.cleaned_data)
        except KeyDestroyed:
            self.message_user(request, ERASED_MESSAGE, messages.WARNING)
            return redirect("admin:subjects_datasubject_change", pk)
        except SubjectRestricted:
            self.message_user(request, _("Processing of this person's data is restricted: it can be seen only for "
                                         "a rights request or a legal request."), messages.ERROR)
            return redirect("admin:subjects_datasubject_change", pk)
        # admin_view() marks the response never_cache (no-store).
        return TemplateResponse(request, "admin/subjects/reveal.html", {
            **self.admin_site.each_context(request), "subject": subject, "record": record,
            "title": _("Personal data (revealed)"), "opts": self.model._meta,
        })

    @admin.display(description=gettext_lazy("id"), ordering="id")
    def short_id(self, obj: DataSubject) -> str:
        """The first 8 characters: enough to tell people apart on a page; the full id is on the person's page."""
        return str(obj.pk)[:8]

    @admin.display(description=gettext_lazy("Name"))
    def masked_name(self, obj: DataSubject) -> str:
        masked = _masked_of(obj)
        return masked["name"] if masked else _("erased")

    @admin.display(description=gettext_lazy("Email"))
    def masked_email(self, obj: DataSubject) -> str:
        masked = _masked_of(obj)
        return masked["email"] if masked else "—"

    @admin.display(description=gettext_lazy("Mobile"))
    def masked_mobile(self, obj: DataSubject) -> str:
        masked = _masked_of(obj)
        return masked["mobile"] or "—" if masked else "—"

    @admin.display(description=gettext_lazy("Open applications"), ordering="open_application_count")
    def open_applications(self, obj: DataSubject) -> int:
        return obj.open_application_count

    @admin.display(description=gettext_lazy("Open enquiries"), ordering="open_enquiry_count")
    def open_enquiries(self, obj: DataSubject) -> int:
        return obj.open_enquiry_count

    @admin.display(description=gettext_lazy("Processing"), ordering="restricted_at")
    def restricted(self, obj: DataSubject) -> str:
        # Words, not Django's red cross: not being restricted is the normal state, not an alarm.
        return _("Restricted") if obj.is_restricted else _("Normal")

    @admin.display(description=gettext_lazy("Restriction of processing"))
    def restriction(self, obj: DataSubject) -> str:
        if not obj.is_restricted:
            return _("Not restricted")
        at = formats.date_format(timezone.localtime(obj.restricted_at), "DATETIME_FORMAT")  # Nairobi time
        return _("Restricted since %(at)s: %(ground)s") % {"at": at, "ground": obj.get_restriction_ground_display()}

    @admin.display(description=gettext_lazy("Record (masked)"))
    def masked_record(self, obj: DataSubject) -> str:
        masked = _masked_of(obj)
        if masked is None:
            return _("erased")
        return " · ".join(value for value in masked.values() if value)


@admin.register(ServiceEngagement)
class ServiceEngagementAdmin(admin.ModelAdmin):
    list_display = ["id", "service", "vacancy", "reference", "controller", "status", "opened_at", "completed_at"]
    list_filter = ["status", "service", "controller", "vacancy"]
    search_fields = ["reference", "id"]
    list_select_related = ["controller", "vacancy"]
    raw_id_fields = ["subject"]  # so Django adds no related-object links around the person field below
    actions = ["complete_selected"]

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["subject", "service", "vacancy", "reference", "controller", "status", "opened_at", "last_activity_at",
                "completed_at"] if obj else ["subject", "service", "reference", "controller"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        if obj is None:
            return []
        return ["subject", "service", "vacancy", "status", "opened_at", "last_activity_at", "completed_at"]

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

    def formfield_for_foreignkey(self, db_field, request: HttpRequest, **kwargs):
        if db_field.name == "subject":  # by their email, mobile number, public id or a reference (posted)
            return PersonField()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_form(self, request: HttpRequest, obj=None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        original_clean = form.clean

        def clean(form_self) -> dict:
            """A restricted person's services are neither opened nor changed: said on the form, nothing saved."""
            cleaned = original_clean(form_self)
            subject = obj.subject if obj is not None else cleaned.get("subject")
            if subject is not None and subject.is_restricted:
                raise ValidationError(RESTRICTED_MESSAGE)
            return cleaned

        form.clean = clean
        return form

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # an engagement ends by completion, which queues the erasure

    @admin.action(description=gettext_lazy("Mark the service complete (erases the person's data)"),
                  permissions=["change"])
    def complete_selected(self, request: HttpRequest, queryset) -> HttpResponse | None:
        chosen = list(queryset.values_list("pk", flat=True))
        preview = engagements_complete_preview(engagement_ids=chosen)
        if preview.restricted:
            self.message_user(request, _("%(n)d service(s) left open: processing of the person's data is "
                                         "restricted.") % {"n": preview.restricted}, messages.ERROR)
        if not preview.services:
            return None
        return erasure_confirm(self, request, action="complete_selected", preview=preview, title=_(
            "Complete services?"), intro=_("Completing a service ends it. A person for whom it is the last open "
                                           "service has their data erased (key destroyed, a deletion certificate "
                                           "written); a person with another open service keeps their data."),
            confirm_label=_("Yes, complete and erase"),
            run=lambda approval: engagements_complete_checked(engagement_ids=chosen, staff_user=request.user,
                                                              **approval),
            done=lambda jobs: _("Completed; %(n)d erasure(s) queued.") % {"n": len(jobs)})


class ApprovalForm(forms.Form):
    """A privacy officer, at the recruiter's side, approves an action above the limit with their own code."""

    approver = forms.CharField(label=gettext_lazy("Privacy officer's username"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "off"}))
    approver_code = forms.CharField(label=gettext_lazy("Code from the privacy officer's authenticator app"),
                                    max_length=16, widget=forms.TextInput(attrs={
                                        "autocomplete": "one-time-code", "inputmode": "numeric"}))


def _fingerprint(preview: ErasurePreview) -> str:
    return f"{preview.services}:{preview.erased}:{preview.kept}"


def erasure_confirm(modeladmin: admin.ModelAdmin, request: HttpRequest, *, action: str, preview: ErasurePreview,
                    title: str, intro: str, confirm_label: str, run, done) -> HttpResponse | None:
    """The confirmation page of an action that erases: the counts (people, by vacancy and client company),
    then the action only once confirmed with the same counts; above the limit, a privacy officer's approval."""
    needs = preview.needs_approval(request.user)
    confirmed = request.POST.get("confirmed") == "yes"
    form = ApprovalForm(request.POST if needs and confirmed else None)
    if confirmed and request.POST.get("expected") != _fingerprint(preview):
        modeladmin.message_user(request, _("The selection changed since you saw it: check the numbers again."),
                                messages.WARNING)
    elif confirmed and (not needs or form.is_valid()):
        approval = {"approver_username": form.cleaned_data["approver"],
                    "approver_code": form.cleaned_data["approver_code"]} if needs else {}
        try:
            jobs = run(approval)
        except ApprovalRefused:
            form.add_error(None, _("Not approved: the username is not a privacy officer's, or the code is wrong. "
                                   "Nothing was changed."))
        else:
            modeladmin.message_user(request, done(jobs), messages.SUCCESS)
            return None
    return TemplateResponse(request, "admin/subjects/erasure_confirm.html", {
        **modeladmin.admin_site.each_context(request), "opts": modeladmin.model._meta, "title": title,
        "intro": intro, "confirm_label": confirm_label, "preview": preview, "needs_approval": needs, "form": form,
        "action": action,
        "limit": settings.STAFF_BULK_ERASURE_LIMIT, "expected": _fingerprint(preview),
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        "select_across": request.POST.get("select_across", "0"),
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    })


@admin.register(ErasureJob)
class ErasureJobAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "subject", "reason", "state", "attempts", "created_at", "finished_at", "certificate_id"]
    list_filter = ["state", "reason"]
    readonly_fields = [f.name for f in ErasureJob._meta.fields]


class RevealingAdmin(admin.ModelAdmin):
    """Read-only rows whose content is opened only through a reveal with a reason (template shows the form)."""

    change_form_template = "admin/subjects/revealing_change_form.html"
    reveal_label = gettext_lazy("Reveal")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # these go with their person's erasure, never one row at a time

    def _url_name(self, view: str) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}_{view}"

    def get_urls(self) -> list:
        return [path("<uuid:pk>/reveal/", self.admin_site.admin_view(self.reveal_view), name=self._url_name("reveal")),
                *super().get_urls()]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        if not _is_uuid(object_id):  # not a row's id (a mistyped address): Django's "does not exist", not a 500
            return super().change_view(request, object_id, form_url, extra_context)
        extra = {"reveal_form": RevealForm(), "can_reveal": request.user.has_perm(REVEAL_PERMISSION),
                 "reveal_label": self.reveal_label,
                 "reveal_action": reverse(f"admin:{self._url_name('reveal')}", args=[object_id])}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def reveal_view(self, request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
        if not request.user.has_perm(REVEAL_PERMISSION):
            raise PermissionDenied
        obj = get_object_or_404(self.model, pk=pk)
        form = RevealForm(request.POST or None)
        if request.method != "POST" or not form.is_valid():
            self.message_user(request, _("Say why you need to see this person's data."), messages.ERROR)
            return redirect(f"admin:{self._url_name('change')}", pk)
        try:
            return self.revealed(request, obj, **form.cleaned_data)
        except KeyDestroyed:
            self.message_user(request, ERASED_MESSAGE, messages.WARNING)
            return redirect(f"admin:{self._url_name('change')}", pk)
        except SubjectRestricted:
            self.message_user(request, _("Processing of this person's data is restricted: it can be seen only for "
                                         "a rights request or a legal request."), messages.ERROR)
            return redirect(f"admin:{self._url_name('change')}", pk)

    def revealed(self, request: HttpRequest, obj, *, reason: str, note: str) -> HttpResponse:
        raise NotImplementedError


@admin.register(Enquiry)
class EnquiryAdmin(RevealingAdmin):
    list_display = ["id", "subject", "created_at"]
    list_select_related = ["subject"]
    readonly_fields = ["id", "subject", "created_at"]
    fields = readonly_fields
    reveal_label = gettext_lazy("Read the message")

    def revealed(self, request: HttpRequest, obj: Enquiry, *, reason: str, note: str) -> HttpResponse:
        message = enquiry_reveal(enquiry=obj, staff_user=request.user, reason=reason, note=note)
        return TemplateResponse(request, "admin/subjects/enquiry_revealed.html", {
            **self.admin_site.each_context(request), "enquiry": obj, "message": message,
            "title": _("Enquiry (revealed)"), "opts": self.model._meta,
        })


@admin.register(IdentityDocument)
class IdentityDocumentAdmin(RevealingAdmin):
    list_display = ["id", "subject", "kind", "content_type", "human_size", "uploaded_at"]
    list_filter = ["kind"]
    list_select_related = ["subject"]
    readonly_fields = ["id", "subject", "kind", "content_type", "human_size", "uploaded_at"]
    fields = readonly_fields
    reveal_label = gettext_lazy("Download the document")

    @admin.display(description=gettext_lazy("Size"), ordering="size")
    def human_size(self, obj: IdentityDocument) -> str:
        return filesizeformat(obj.size)

    def revealed(self, request: HttpRequest, obj: IdentityDocument, *, reason: str, note: str) -> HttpResponse:
        """Streamed from the vault (never written to disk in clear), as a download the browser cannot run."""
        chunks = document_reveal(document=obj, staff_user=request.user, reason=reason, note=note)
        response = StreamingHttpResponse(chunks, content_type=obj.content_type)
        extension = DOCUMENT_EXTENSIONS.get(obj.content_type, "bin")
        response["Content-Disposition"] = f'attachment; filename="document-{obj.pk}.{extension}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "sandbox"
        response["Content-Length"] = str(obj.size)
        return response  # admin_view() adds Cache-Control: no-store


@admin.register(Reveal)
class RevealAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Who saw whose data in clear and why; the note stays sealed (it may name the person)."""

    list_display = ["at", "staff_user", "subject", "what", "reason"]
    list_filter = ["reason", "what"]
    list_select_related = ["staff_user", "subject"]
    fields = ["at", "staff_user", "subject", "what", "item", "reason"]
    readonly_fields = fields


admin.site.register(Controller)


@admin.register(Vacancy)
class VacancyAdmin(TranslationAdmin):
    """Staff publish jobs (each text in English and Swahili) and close them. Closing ends every open
    application to the job, which erases the applicants for whom it was the last one: the action first
    shows how many people that is, and closes only once confirmed."""

    list_display = ["title", "controller", "location", "closing_date", "status", "open_applications"]
    list_filter = ["status", "controller"]
    list_select_related = ["controller"]
    search_fields = ["title_en", "title_sw"]
    fields = ["controller", "title", "description", "location", "closing_date", "status", "closed_at"]
    readonly_fields = ["status", "closed_at"]
    actions = ["close_selected"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(open_application_count=Count(
            "applications", filter=Q(applications__status=ServiceEngagement.Status.OPEN)))

    @admin.display(description=gettext_lazy("Open applications"), ordering="open_application_count")
    def open_applications(self, obj: Vacancy) -> int:
        return obj.open_application_count

    def get_readonly_fields(self, request: HttpRequest, obj: Vacancy | None = None) -> list[str]:
        # Once people have applied, the client company is fixed (vacancy_save refuses a change too).
        applied = obj is not None and ServiceEngagement.objects.filter(vacancy=obj).exists()
        return [*self.readonly_fields, "controller"] if applied else list(self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: Vacancy, form, change: bool) -> None:
        vacancy_save(vacancy=obj, actor=Actor.staff(request.user), changed=form.changed_data)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # applications point at it; a vacancy ends by being closed

    @admin.action(description=gettext_lazy("Close the vacancy (erases applicants with no other open service)"),
                  permissions=["change"])
    def close_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        vacancies = list(queryset.select_related("controller").order_by("closing_date", "title_en"))
        preview = vacancies_close_preview(vacancy_ids=[v.pk for v in vacancies])
        return erasure_confirm(self, request, action="close_selected", preview=preview, title=_(
            "Close vacancies?"), intro=_("Closing a vacancy ends every open application to it. An applicant for "
                                         "whom it is the last open service has their data erased (key destroyed, "
                                         "a deletion certificate written); an applicant with another open "
                                         "application or service keeps their data and that service."),
            confirm_label=_("Yes, close and erase"),
            run=lambda approval: vacancies_close_checked(vacancies=vacancies, staff_user=request.user, **approval),
            done=lambda jobs: ngettext(
                "Closed %(n)d vacancy; the erasure of %(erased)d applicant(s) is queued.",
                "Closed %(n)d vacancies; the erasure of %(erased)d applicant(s) is queued.", len(vacancies))
            % {"n": len(vacancies), "erased": len(jobs)})
