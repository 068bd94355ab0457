from django.contrib import admin
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from apps.core.admin import ReadOnlyAdmin
from apps.core.datamap import Category

from .models import DeletionCertificate


@admin.register(DeletionCertificate)
class DeletionCertificateAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["id", "subject_id", "reason", "completed_at", "job_id"]
    list_filter = ["reason"]
    search_fields = ["id", "subject_id"]
    fields = ["id", "subject_id", "reason", "categories_erased", "rows_erased", "key_destroyed_at", "completed_at",
              "job_id"]
    readonly_fields = fields

    @admin.display(description=_("categories erased"))
    def categories_erased(self, obj: DeletionCertificate) -> str:
        labels = [Category(c).label if c in Category.values else c for c in obj.categories or []]
        return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((label,) for label in labels)))

    @admin.display(description=_("rows erased, by holding"))
    def rows_erased(self, obj: DeletionCertificate) -> str:
        rows = format_html_join("", '<tr><th scope="row">{}</th><td>{}</td></tr>',
                                ((name.replace("_", " "), count) for name, count in sorted((obj.counts or {}).items())))
        return format_html('<table class="detail-table">{}</table>', rows)
