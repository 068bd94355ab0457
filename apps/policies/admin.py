"""The privacy officer's side: drafts, publishing with a preview, campaigns, the call list, the register."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone, translation
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.audit.services import Actor
from apps.core.admin import ReadOnlyAdmin
from apps.core.datamap import Category
from apps.notifications.rendering import render_message
from apps.subjects.admin import person_action_register
from apps.subjects.models import DataSubject

from .forms import DisclosureRecordForm
from .models import Campaign, CampaignRecipient, Disclosure, DisclosureChoice, PolicyDisclosure, PolicyVersion
from .selectors import (
    campaign_call_list,
    campaign_progress,
    disclosures_new_in,
    disclosures_new_since,
    people_affected_counts,
    policy_in_force,
    policy_latest_published,
    versions_diff,
)
from .services import (
    campaign_call_record,
    campaign_retry_failed,
    disclosures_record,
    policy_disclosure_delete,
    policy_disclosure_save,
    policy_version_publish,
    policy_version_save,
)

# Each text in English and Swahili (django-modeltranslation columns).
TEXTS = ["title_en", "title_sw", "summary_en", "summary_sw", "body_en", "body_sw"]
EDITABLE = [*TEXTS, "effective_at"]
REQUIRED = ["title_en", "summary_en", "body_en"]
FROZEN = ["number", "status", "published_at", "in_force_at", *TEXTS, "effective_at"]


class PolicyDisclosureForm(forms.ModelForm):
    """The data categories as labelled checkboxes from the personal-data map's categories, never typed JSON."""

    data_categories = forms.MultipleChoiceField(label=gettext_lazy("data categories"), choices=Category.choices,
                                                widget=forms.CheckboxSelectMultiple, required=False)

    class Meta:
        model = PolicyDisclosure
        fields = ["data_categories"]  # the inline's `fields` names the rest


class PolicyDisclosureInline(admin.StackedInline):  # ten fields in two languages: a table would not fit
    model = PolicyDisclosure
    form = PolicyDisclosureForm
    extra = 0
    fields = ["key", "recipient_en", "recipient_sw", "recipient_category_en", "recipient_category_sw", "purpose_en",
              "purpose_sw", "purpose_slug", "data_categories", "compatible", "recipient_country", "transfer_safeguard"]

    # The role's permission, and only on a draft: a published version's disclosures are what people were told.
    def has_add_permission(self, request: HttpRequest, obj: PolicyVersion | None = None) -> bool:
        return super().has_add_permission(request, obj) and (obj is None or not obj.is_published)

    def has_change_permission(self, request: HttpRequest, obj: PolicyVersion | None = None) -> bool:
        return super().has_change_permission(request, obj) and (obj is None or not obj.is_published)

    def has_delete_permission(self, request: HttpRequest, obj: PolicyVersion | None = None) -> bool:
        return super().has_delete_permission(request, obj) and (obj is None or not obj.is_published)


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "title", "status", "effective_at", "published_at", "in_force"]
    list_filter = ["status"]
    inlines = [PolicyDisclosureInline]

    @admin.display(description=gettext_lazy("in force"), boolean=True)
    def in_force(self, obj: PolicyVersion) -> bool:
        current = policy_in_force()
        return current is not None and current.pk == obj.pk

    def get_form(self, request: HttpRequest, obj: PolicyVersion | None = None, change: bool = False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        for name in REQUIRED:  # policy_version_save refuses a draft without them: say so on the form
            if name in form.base_fields:
                form.base_fields[name].required = True
        return form

    def get_fields(self, request: HttpRequest, obj: PolicyVersion | None = None) -> list[str]:
        return [*FROZEN, "public_page"] if obj and obj.is_published else [*EDITABLE, "publish"]

    def get_readonly_fields(self, request: HttpRequest, obj: PolicyVersion | None = None) -> list[str]:
        return [*FROZEN, "public_page"] if obj and obj.is_published else ["publish"]

    @admin.display(description=gettext_lazy("public page"))
    def public_page(self, obj: PolicyVersion) -> str:
        return format_html('<a href="{}">{}</a>', reverse("privacy-policy-version", args=[obj.number]),
                           _("Version %(n)s") % {"n": obj.number})

    @admin.display(description=gettext_lazy("publish"))
    def publish(self, obj: PolicyVersion) -> str:
        if not obj.pk:
            return _("Save the draft first.")
        return format_html('<a class="button" href="{}">{}</a>', reverse("admin:policies_publish", args=[obj.pk]),
                           _("Preview and publish"))

    def has_change_permission(self, request: HttpRequest, obj: PolicyVersion | None = None) -> bool:
        # A published version is frozen: its page is read-only, with no Save button to refuse.
        return super().has_change_permission(request, obj) and not (obj is not None and obj.is_published)

    def has_delete_permission(self, request: HttpRequest, obj: PolicyVersion | None = None) -> bool:
        # Only a draft, and only by whom the role allows; every published version stays public.
        return super().has_delete_permission(request, obj) and obj is not None and not obj.is_published

    def save_model(self, request: HttpRequest, obj: PolicyVersion, form, change: bool) -> None:
        policy_version_save(version=obj, actor=Actor.staff(request.user), changed=form.changed_data)

    def save_formset(self, request: HttpRequest, form, formset, change: bool) -> None:
        # save(commit=False) is what sorts the forms into changed and deleted ones (deleted_objects).
        changed = formset.save(commit=False)
        actor = Actor.staff(request.user)
        for deleted in formset.deleted_objects:
            policy_disclosure_delete(disclosure=deleted, actor=actor)
        for disclosure in changed:
            policy_disclosure_save(disclosure=disclosure, actor=actor)

    def get_urls(self) -> list:
        publish = self.admin_site.admin_view(self.publish_view)
        return [path("<int:pk>/publish/", publish, name="policies_publish"), *super().get_urls()]

    def publish_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Preview the difference and the message people will get, with how many on which channel; publish."""
        if not request.user.has_perm("policies.change_policyversion"):
            return redirect("admin:index")
        version = get_object_or_404(PolicyVersion, pk=pk)
        if version.is_published:
            return redirect("admin:policies_policyversion_change", pk)
        if request.method == "POST":
            try:
                published = policy_version_publish(version=version, actor=Actor.staff(request.user))
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                return redirect("admin:policies_publish", pk)
            if published.campaign:
                self.message_user(request, _("Published version %(n)s; people are being told.")
                                  % {"n": published.version.number}, messages.SUCCESS)
                return redirect("admin:policies_campaign_change", published.campaign.pk)
            self.message_user(request, _("Published version %(n)s.") % {"n": published.version.number},
                              messages.SUCCESS)
            return redirect("admin:policies_policyversion_change", pk)
        previous = policy_latest_published()
        new = disclosures_new_since(version, previous)
        sample = {"version": str((previous.number if previous else 0) + 1), "summary": version.summary,
                  "effective_on": (version.effective_at or timezone.now()).date().isoformat(),
                  "changes_url": "https://…/privacy/changes/…", "link": "https://…/me/…",
                  "disclosures": [{"recipient": d.recipient, "purpose": d.purpose, "compatible": d.compatible,
                                   "choice_url": "https://…/privacy/choice/…"} for d in new]}
        with translation.override("en"):
            subject_line, text, _html = render_message("policy_changed", sample, "email")
            _s, sms, _h = render_message("policy_changed", sample, "sms")
        return TemplateResponse(request, "admin/policies/publish.html", {
            **self.admin_site.each_context(request), "title": _("Publish %(title)s") % {"title": version.title},
            "version": version, "previous": previous, "diff": versions_diff(previous, version),
            "new_disclosures": new, "counts": people_affected_counts() if new else None,
            "email_subject": subject_line, "email_text": text, "sms_text": sms, "opts": self.model._meta,
        })


# A page whose every field is read-only (its work is done by actions on the list) offers no Save button.
READ_ONLY_PAGE = {"show_save": False, "show_save_and_continue": False, "show_save_and_add_another": False}


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "people", "progress", "created_at", "fanned_out_at"]
    fields = ["version", "status", "people", "progress", "created_at", "fanned_out_at"]
    readonly_fields = fields
    actions = ["retry_failed"]
    change_form_template = "admin/policies/campaign_change_form.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # publishing starts a campaign

    def has_delete_permission(self, request: HttpRequest, obj: Campaign | None = None) -> bool:
        return False

    @admin.display(description=gettext_lazy("progress"))
    def progress(self, obj: Campaign) -> str:
        p = campaign_progress(obj)
        return format_html(
            '<progress max="100" value="{}">{}%</progress> {}',
            p["percent"], p["percent"],
            _("%(sent)s sent, %(pending)s pending, %(failed)s failed, %(to_call)s to call") % p)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        campaign = self.get_object(request, object_id)
        live = campaign is not None and (campaign.status == Campaign.Status.FANNING_OUT
                                         or campaign_progress(campaign)["pending"] > 0)
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "live": live,
                                                                   **READ_ONLY_PAGE})

    @admin.action(description=gettext_lazy("Retry the failed messages"), permissions=["change"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet[Campaign]) -> None:
        count = sum(campaign_retry_failed(campaign=c, actor=Actor.staff(request.user)) for c in queryset)
        self.message_user(request, _("%(n)s messages will be sent again.") % {"n": count}, messages.SUCCESS)


class ToCallFilter(admin.SimpleListFilter):
    title = gettext_lazy("reached")
    parameter_name = "to_call"

    def lookups(self, request: HttpRequest, model_admin) -> list:
        return [("yes", _("No message reached them")), ("all", _("Everyone"))]

    def choices(self, changelist):
        yield from super().choices(changelist)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "all":
            return queryset
        return queryset.filter(pk__in=campaign_call_list().values("pk"))


@admin.register(CampaignRecipient)
class CallListAdmin(admin.ModelAdmin):
    """The call list: people the campaign could not reach by email or SMS. Staff call them (the number is
    on the person's record, revealed with the audited permission), read the script, record the outcome."""

    list_display = ["subject", "campaign", "call_outcome", "called_at"]
    list_filter = [ToCallFilter, "call_outcome"]
    fields = ["subject", "campaign", "call_outcome", "called_at", "script"]
    readonly_fields = fields
    actions = ["record_reached", "record_opted_out", "record_no_answer"]
    list_select_related = ["campaign__version"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=gettext_lazy("what to say"))
    def script(self, obj: CampaignRecipient) -> str:
        version = obj.campaign.version
        new = "; ".join(f"{d.recipient} ({d.purpose})" for d in disclosures_new_in(version))
        return _("Hello, this is %(controller)s about your data. Our privacy policy version %(n)s, in force from "
                 "%(date)s, lets us share your data with: %(new)s. Would you like to opt out? Opting out does not "
                 "end your service with us.") % {"controller": settings.CONTROLLER_NAME, "n": version.number,
                                                  "date": formats.date_format(timezone.localtime(version.effective_at),
                                                                          "DATE_FORMAT"), "new": new}

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "", extra_context=None):
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **READ_ONLY_PAGE})

    def _record(self, request: HttpRequest, queryset: QuerySet, outcome: str) -> None:
        for recipient in queryset:
            campaign_call_record(recipient=recipient, outcome=outcome, actor=Actor.staff(request.user))
        self.message_user(request, _("Recorded %(n)s call(s).") % {"n": queryset.count()}, messages.SUCCESS)

    @admin.action(description=gettext_lazy("Called: reached"), permissions=["change"])
    def record_reached(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._record(request, queryset, CampaignRecipient.CallOutcome.REACHED)

    @admin.action(description=gettext_lazy("Called: reached, opted out"), permissions=["change"])
    def record_opted_out(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._record(request, queryset, CampaignRecipient.CallOutcome.OPTED_OUT)

    @admin.action(description=gettext_lazy("Called: no answer"), permissions=["change"])
    def record_no_answer(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._record(request, queryset, CampaignRecipient.CallOutcome.NO_ANSWER)


@admin.register(DisclosureChoice)
class DisclosureChoiceAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["created_at", "subject", "disclosure_key", "choice", "version", "source"]
    list_filter = ["choice", "source", "disclosure_key"]
    search_fields = ["=subject__id"]
    readonly_fields = ["subject", "disclosure_key", "version", "choice", "source", "created_at"]
    fields = readonly_fields


@admin.register(Disclosure)
class DisclosureAdmin(admin.ModelAdmin):
    """The register. Adding goes through the service, which refuses what the person's choices forbid."""

    list_display = ["disclosed_at", "subject", "recipient", "legal_basis", "policy_version", "reference",
                    "restricted_until", "recorded_by"]
    list_filter = ["legal_basis"]
    search_fields = ["=subject__id", "recipient", "reference"]
    readonly_fields = ["subject", "recipient", "data_categories", "legal_basis", "policy_disclosure",
                       "policy_version", "consent_receipt", "reference", "restricted_until", "disclosed_at",
                       "recorded_by", "recorded_at"]
    fields = readonly_fields
    list_select_related = ["policy_version", "recorded_by"]

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context=None) -> HttpResponse:
        if not self.has_add_permission(request):
            return redirect("admin:index")
        # The people list's "record a disclosure" action arrives with the chosen public ids filled in.
        form = DisclosureRecordForm(request.POST or None, initial={"people": request.GET.get("people", "")})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            recorded, refused = disclosures_record(
                subject_ids=data["people"], actor=Actor.staff(request.user), recorded_by=request.user,
                recipient=data["recipient"], data_categories=data["data_categories"],
                legal_basis=data["legal_basis"], allowed=data["allowed"], reference=data["reference"],
                restricted_until=data["restricted_until"], disclosed_at=data["disclosed_at"])
            if recorded:
                self.message_user(request, _("Recorded %(n)s disclosure(s).") % {"n": recorded}, messages.SUCCESS)
            for person_id, why in refused:
                self.message_user(request, _("Refused: %(why)s") % {"why": f"{person_id}: {why}"}, messages.ERROR)
            if not refused:
                return redirect("admin:policies_disclosure_changelist")
        return TemplateResponse(request, "admin/policies/disclosure_add.html", {
            **self.admin_site.each_context(request), "title": _("Record a disclosure"), "form": form,
            "opts": self.model._meta,
        })


MOST_AT_ONCE = 200


def record_disclosure(modeladmin, request: HttpRequest, queryset: QuerySet[DataSubject]) -> HttpResponse | None:
    """People list action: the disclosure form with the chosen people filled in (the form records it)."""
    ids = list(queryset.values_list("pk", flat=True)[:MOST_AT_ONCE + 1])
    if len(ids) > MOST_AT_ONCE:
        modeladmin.message_user(request, _("Choose at most %(n)d people for one disclosure.") % {"n": MOST_AT_ONCE},
                                messages.ERROR)
        return None
    people = "\n".join(str(pk) for pk in ids)
    return redirect(f"{reverse('admin:policies_disclosure_add')}?{urlencode({'people': people})}")


record_disclosure.short_description = gettext_lazy("Record a disclosure of these people's data")
person_action_register(record_disclosure, permission="policies.add_disclosure")
