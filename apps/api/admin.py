"""Client companies and their API tokens, managed by the privacy officer. A token's secret is shown once, on
the page that answers its creation, and never again (only its SHA-256 is stored). Every change is audited."""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AdminSplitDateTime
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from apps.audit.services import Actor
from apps.subjects.models import Controller

from .models import ApiToken, Scope
from .services import controller_save, token_create, tokens_revoke

if admin.site.is_registered(Controller):
    admin.site.unregister(Controller)


class TokenInline(admin.TabularInline):
    model = ApiToken
    fields = ["name", "prefix", "scopes", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Controller)
class ControllerAdmin(admin.ModelAdmin):
    list_display = ["name", "country", "transfer_safeguard", "created_at"]
    search_fields = ["name"]
    inlines = [TokenInline]

    def save_model(self, request: HttpRequest, obj: Controller, form, change: bool) -> None:
        controller_save(controller=obj, actor=Actor.staff(request.user), changed=form.changed_data)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # engagements and certificates point at it


class TokenCreateForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(label=gettext_lazy("Scopes"), choices=Scope.choices,
                                       widget=forms.CheckboxSelectMultiple)
    expires_at = forms.SplitDateTimeField(label=gettext_lazy("Expires at"), widget=AdminSplitDateTime,
                                     initial=lambda: timezone.now() + timedelta(days=365),
                                     help_text=gettext_lazy("At most two years from now."))

    class Meta:
        model = ApiToken
        fields = ["controller", "name", "scopes", "expires_at"]

    def clean_expires_at(self):
        value = self.cleaned_data["expires_at"]
        if value <= timezone.now():
            raise forms.ValidationError(_("The expiry must be in the future."))
        if value > timezone.now() + timedelta(days=731):
            raise forms.ValidationError(_("A token can live at most two years."))
        return value


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "controller", "token_prefix", "scopes", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["controller", "revoked_at"]
    list_select_related = ["controller"]
    actions = ["revoke"]
    readonly = ["controller", "name", "token_prefix", "scopes", "expires_at", "created_at", "created_by",
                "last_used_at", "revoked_at"]

    @admin.display(description=gettext_lazy("Token"))
    def token_prefix(self, obj: ApiToken) -> str:
        return f"pp_{obj.prefix}_…"

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = TokenCreateForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["controller", "name", "scopes", "expires_at"] if obj is None else self.readonly

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # revoke instead: the audit log names the token by its prefix

    def save_model(self, request: HttpRequest, obj: ApiToken, form, change: bool) -> None:
        if change:
            return  # nothing of a token changes after it is made, except by revocation
        token, secret = token_create(controller=form.cleaned_data["controller"], name=form.cleaned_data["name"],
                                     scopes=form.cleaned_data["scopes"], expires_at=form.cleaned_data["expires_at"],
                                     actor=Actor.staff(request.user))
        form.instance = token
        request._api_token_secret = secret  # for this response only; never stored, never in a message cookie

    def save_related(self, request, form, formsets, change) -> None:
        return None

    def response_add(self, request: HttpRequest, obj: ApiToken, post_url_continue=None) -> HttpResponse:
        token = getattr(request, "_api_token_secret", None)
        obj = ApiToken.objects.get(prefix=token.split("_")[1]) if token else obj
        response = TemplateResponse(request, "admin/api/token_created.html", {
            **self.admin_site.each_context(request), "title": _("API token created"), "token": token,
            "api_token": obj, "opts": self.model._meta})
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=gettext_lazy("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset) -> None:
        count = tokens_revoke(token_ids=list(queryset.values_list("pk", flat=True)), actor=Actor.staff(request.user))
        self.message_user(request, ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count)
                          % {"count": count}, messages.SUCCESS)
