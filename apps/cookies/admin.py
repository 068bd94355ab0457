import csv

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from .models import CookieCategory, CookieConsent, CookieDeclaration
from .selectors import consent_log_csv_rows
from .services import cookie_catalogue_changed


class CatalogueChangesMixin:
    """Every save or delete of the catalogue in the admin goes through cookie_catalogue_changed, so pages
    show the new words at once (they are cached until then)."""

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        cookie_catalogue_changed()

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        cookie_catalogue_changed()

    def delete_model(self, request, obj) -> None:
        super().delete_model(request, obj)
        cookie_catalogue_changed()

    def delete_queryset(self, request, queryset) -> None:
        super().delete_queryset(request, queryset)
        cookie_catalogue_changed()


class CookieDeclarationInline(TranslationStackedInline):
    # Stacked: a table's cells would point their help text at an element Django's table layout never renders.
    model = CookieDeclaration
    extra = 0
    fields = ["name", "provider", "purpose", "duration", "party"]


@admin.register(CookieCategory)
class CookieCategoryAdmin(CatalogueChangesMixin, TranslationAdmin):
    list_display = ["name", "slug", "is_necessary", "off_under_gpc", "order"]
    list_editable = ["order"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [CookieDeclarationInline]

    def has_delete_permission(self, request: HttpRequest, obj: CookieCategory | None = None) -> bool:
        # The site cannot work without its necessary cookies, so their category stays.
        if obj is not None and obj.is_necessary:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(CookieDeclaration)
class CookieDeclarationAdmin(CatalogueChangesMixin, TranslationAdmin):
    list_display = ["name", "category", "provider", "duration", "party"]
    list_filter = ["category", "party"]
    search_fields = ["name", "provider_en", "provider_sw", "purpose_en", "purpose_sw"]
    list_select_related = ["category"]


class _Echo:
    """A file-like object whose write() hands the line back, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


@admin.register(CookieConsent)
class CookieConsentAdmin(admin.ModelAdmin):
    """The consent log: read-only, exported as CSV for an auditor."""

    list_display = ["created_at", "visitor_id", "action", "allowed", "declaration_version", "gpc", "gpc_decided"]
    list_filter = ["action", "gpc", "gpc_decided", "declaration_version"]
    search_fields = ["=visitor_id"]
    date_hierarchy = "created_at"
    actions = ["export_csv"]
    readonly_fields = ["created_at", "visitor_id", "action", "choices", "declaration_version", "gpc",
                       "gpc_decided", "ip_hash"]

    @admin.display(description=_("allowed"))
    def allowed(self, obj: CookieConsent) -> str:
        return ", ".join(obj.allowed_categories)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: CookieConsent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: CookieConsent | None = None) -> bool:
        return False

    @admin.action(description=_("Export selected entries as CSV"), permissions=["view"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[CookieConsent]) -> StreamingHttpResponse:
        writer = csv.writer(_Echo())
        filename = f"cookie-consent-log-{timezone.now():%Y%m%d-%H%M%S}.csv"
        response = StreamingHttpResponse(
            (writer.writerow(row) for row in consent_log_csv_rows(queryset=queryset)),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
