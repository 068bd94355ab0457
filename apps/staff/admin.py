"""The registers in the admin. Every save goes through a service that audits it."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.services import Actor
from apps.core.admin import ReadOnlyAdmin
from apps.core.datamap import Category
from apps.subjects.admin import person_action_register
from apps.subjects.forms import PersonField

from .clock import staff_time
from .forms import BreachChoiceForm
from .models import Breach, BreachNotice, RightsRequest
from .services import (
    BREACH_FIELDS,
    RightsRequestNotReady,
    breach_people_notify,
    breach_record,
    breach_update,
    rights_request_change,
    rights_request_complete,
    rights_request_record,
)


def _clock(due, overdue: bool) -> str:
    if overdue:
        return format_html('<strong class="overdue">{} {}</strong>', _("OVERDUE since"), staff_time(due))
    return staff_time(due)


class RightsRequestForm(forms.ModelForm):
    # The person by their email, mobile number, public id or a reference (posted), not a pasted id.
    subject = PersonField(required=False, help_text=gettext_lazy(
        "Their email address, mobile number, public id or a service reference; empty if we hold nothing about "
        "them yet."))

    class Meta:
        model = RightsRequest
        fields = ["kind", "channel", "received_at", "subject", "identity_check"]


@admin.register(RightsRequest)
class RightsRequestAdmin(admin.ModelAdmin):
    list_display = ["short_id", "kind", "channel", "received_at", "due_clock", "subject", "state", "outcome"]
    list_filter = ["state", "kind", "channel"]
    date_hierarchy = "received_at"
    form = RightsRequestForm
    actions = ["complete_done", "complete_withdrawn", "refuse_not_identified"]

    def get_fields(self, request: HttpRequest, obj=None) -> list[str]:
        if obj is None:
            return ["kind", "channel", "received_at", "subject", "identity_check"]
        return ["kind", "channel", "received_at", "due_at", "subject", "identity_check", "state", "outcome",
                "completed_at"]

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        if obj is None:
            return []
        fixed = ["kind", "received_at", "due_at", "state", "outcome", "completed_at"]
        return fixed + (["subject", "identity_check", "channel"] if obj.state != RightsRequest.State.OPEN else [])

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the register is evidence

    def save_model(self, request: HttpRequest, obj: RightsRequest, form, change: bool) -> None:
        actor = Actor.staff(request.user)
        if change:
            rights_request_change(request=obj, actor=actor,
                                  changes={name: form.cleaned_data[name] for name in form.changed_data})
        else:
            saved = rights_request_record(actor=actor, **{name: form.cleaned_data[name] for name in
                                                          ["kind", "channel", "received_at", "subject",
                                                           "identity_check"]})
            obj.pk, obj.due_at = saved.pk, saved.due_at

    @admin.display(description=gettext_lazy("id"))
    def short_id(self, obj: RightsRequest) -> str:
        return str(obj.pk)[:8]

    @admin.display(description=gettext_lazy("due"), ordering="due_at")
    def due_clock(self, obj: RightsRequest) -> str:
        return _clock(obj.due_at, obj.is_overdue)

    def _complete(self, request: HttpRequest, queryset, outcome: str) -> None:
        done = 0
        for rights_request in queryset:
            try:
                rights_request_complete(request=rights_request, actor=Actor.staff(request.user), outcome=outcome)
                done += 1
            except RightsRequestNotReady as exc:
                self.message_user(request, _("Request %(id)s: %(why)s.") % {"id": str(rights_request.pk)[:8],
                                                                             "why": exc.args[0]}, messages.ERROR)
        if done:
            self.message_user(request, _("%(n)d request(s) closed.") % {"n": done}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Complete: done as asked (an erasure request erases the person)"),
                  permissions=["change"])
    def complete_done(self, request: HttpRequest, queryset) -> None:
        self._complete(request, queryset, RightsRequest.Outcome.DONE)

    @admin.action(description=gettext_lazy("Close: withdrawn by the person"), permissions=["change"])
    def complete_withdrawn(self, request: HttpRequest, queryset) -> None:
        self._complete(request, queryset, RightsRequest.Outcome.WITHDRAWN)

    @admin.action(description=gettext_lazy("Refuse: identity could not be verified"), permissions=["change"])
    def refuse_not_identified(self, request: HttpRequest, queryset) -> None:
        self._complete(request, queryset, RightsRequest.Outcome.NOT_IDENTIFIED)


class BreachForm(forms.ModelForm):
    categories = forms.MultipleChoiceField(label=gettext_lazy("categories of data"), choices=Category.choices,
                                           widget=forms.CheckboxSelectMultiple, required=False)

    class Meta:
        model = Breach
        fields = BREACH_FIELDS


@admin.register(Breach)
class BreachAdmin(admin.ModelAdmin):
    form = BreachForm
    list_display = ["__str__", "discovered_at", "people_affected", "risk", "commissioner_clock", "controllers_clock",
                    "people_told", "state"]
    list_filter = ["state", "risk"]

    def get_queryset(self, request: HttpRequest):
        return super().get_queryset(request).annotate(told=Count("notices"))

    @admin.display(description=gettext_lazy("People told"), ordering="told")
    def people_told(self, obj: Breach) -> str:
        url = reverse("admin:staff_breachnotice_changelist") + f"?breach__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.told)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Breach, form, change: bool) -> None:
        actor = Actor.staff(request.user)
        if change:
            breach_update(breach=Breach.objects.get(pk=obj.pk), actor=actor,
                          changes={name: form.cleaned_data[name] for name in form.changed_data})
        else:
            obj.pk = breach_record(actor=actor, **{name: form.cleaned_data[name] for name in BREACH_FIELDS}).pk

    @admin.display(description=gettext_lazy("Data Commissioner (72 h)"))
    def commissioner_clock(self, obj: Breach) -> str:
        if obj.commissioner_notified_at:
            return _("notified %(at)s") % {"at": staff_time(obj.commissioner_notified_at)}
        return _clock(obj.commissioner_due_at, obj.commissioner_overdue)

    @admin.display(description=gettext_lazy("Controllers (48 h)"))
    def controllers_clock(self, obj: Breach) -> str:
        if obj.controllers_notified_at:
            return _("notified %(at)s") % {"at": staff_time(obj.controllers_notified_at)}
        return _clock(obj.controllers_due_at, obj.controllers_overdue)


@admin.register(BreachNotice)
class BreachNoticeAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """The register of who was told of a breach, and when (the message itself is in notifications)."""

    list_display = ["notified_at", "breach", "subject", "notification_id"]
    list_filter = ["breach"]
    list_select_related = ["breach", "subject"]
    fields = ["breach", "subject", "notified_at", "notification_id"]
    readonly_fields = fields


def notify_breach(modeladmin, request: HttpRequest, queryset) -> HttpResponse | None:
    """People list action: tell the chosen people (or everyone matching the filters) about a breach, once each."""
    form = BreachChoiceForm(request.POST if "confirm" in request.POST else None)
    if form.is_bound and form.is_valid():
        told = breach_people_notify(breach=form.cleaned_data["breach"], subject_ids=list(queryset.values_list(
            "pk", flat=True)), staff_user=request.user)
        modeladmin.message_user(request, _("%(n)d person(s) told of the breach; anyone told before was not told "
                                           "again.") % {"n": told}, messages.SUCCESS)
        return None
    if not form.fields["breach"].queryset.exists():
        modeladmin.message_user(request, _("Record the breach in the register first."), messages.ERROR)
        return None
    return TemplateResponse(request, "admin/staff/breach_notify.html", {
        **modeladmin.admin_site.each_context(request), "title": _("Tell people about a breach"), "form": form,
        "count": queryset.count(), "queryset_ids": list(queryset.values_list("pk", flat=True)),
        "select_across": request.POST.get("select_across", "0"), "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "opts": modeladmin.model._meta,
    })


notify_breach.short_description = gettext_lazy("Tell these people about a breach (once each)")
person_action_register(notify_breach, permission="staff.notify_breach")


# django-otp's own admin shows each authenticator's secret key; here a superuser sees only whose device it is
# and may delete it (a lost phone: the person sets up a new one at their next sign-in).
for _model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


class SecondFactorAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "confirmed"]
    list_select_related = ["user"]
    fields = ["user", "name", "confirmed"]
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


admin.site.register(TOTPDevice, SecondFactorAdmin)
admin.site.register(StaticDevice, SecondFactorAdmin)
