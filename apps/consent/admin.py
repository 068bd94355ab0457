from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin

from apps.audit.services import Actor
from apps.core.admin import ReadOnlyAdmin

from .models import ConsentRecord, Purpose
from .services import purpose_save


@admin.register(Purpose)
class PurposeAdmin(TranslationAdmin):
    """Staff write each text in English and Swahili; saving versions the words shown (see purpose_save)."""

    list_display = ["name", "slug", "legal_basis", "required", "retention_days", "active"]
    list_filter = ["active", "legal_basis"]
    prepopulated_fields = {"slug": ["name"]}

    def save_model(self, request, obj: Purpose, form, change: bool) -> None:
        purpose_save(purpose=obj, actor=Actor.staff(request.user), changed=form.changed_data)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # receipts point at purposes; retire one with "active" instead


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["created_at", "subject", "purpose", "action", "policy_version", "source", "collection_point"]
    list_filter = ["action", "purpose", "source"]
    list_select_related = ["subject", "purpose", "policy_version"]
    exclude = ["ip_hmac"]
    readonly_fields = ["subject", "purpose", "action", "legal_basis", "policy_version", "collection_point",
                       "form_version", "language", "notice", "words_shown", "wording_sha256", "source", "created_at",
                       "consented_at", "user_agent_summary", "controller", "obtained_at", "obtained_how",
                       "evidence_reference"]

    @admin.display(description=_("words shown"))
    def words_shown(self, obj: ConsentRecord) -> str:
        if obj.notice is None:
            return "—"
        return format_html_join("", "<p>{}</p>", ((p,) for p in obj.notice.paragraphs))
