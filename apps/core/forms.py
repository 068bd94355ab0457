"""How every form on the site renders: one field template and one error summary, so a form that comes
back with mistakes says the same things, the same way, whichever form it is (FORM_RENDERER)."""

from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.forms.boundfield import BoundField
from django.forms.renderers import TemplatesSetting
from django.utils.translation import gettext_lazy as _

REATTACH = _("Attach the file again before you send the form: we do not keep a file from a form that had "
             "mistakes.")


class SiteBoundField(BoundField):
    @property
    def kept_name(self) -> str:
        """The name of the file a form kept for this field when it came back with mistakes (the form's
        `kept`: {field: name}), so the visitor need not send it again; "" if none."""
        return getattr(self.form, "kept", {}).get(self.name, "") if isinstance(self.field, forms.FileField) else ""

    @property
    def must_reattach(self) -> bool:
        """A browser sends a file once: when the form comes back with mistakes, the file field is empty
        again; unless the form kept the file (kept_name), it must be attached again."""
        return (isinstance(self.field, forms.FileField) and self.form.is_bound and bool(self.form.errors)
                and not self.kept_name
                and (self.field.required or self.html_name in self.form.files))  # an optional one only if sent

    @property
    def reattach_text(self) -> str:
        return REATTACH

    @property
    def aria_describedby(self) -> str | None:
        value = super().aria_describedby
        if value is not None and self.auto_id and (self.must_reattach or self.kept_name):
            note = f"{self.auto_id}_reattach" if self.must_reattach else f"{self.auto_id}_kept"
            value = " ".join(filter(None, [value, note]))
        return value


class SiteFormRenderer(TemplatesSetting):
    """Our field template and bound field, through the site's template engine. Each form and widget
    template is looked up once per process, not once per widget (a form of twenty fields would make some
    sixty lookups per page); with DEBUG on every lookup goes to the engine, so edited templates show."""

    field_template_name = "core/forms/field.html"
    bound_field_class = SiteBoundField

    def __init__(self) -> None:
        super().__init__()
        self._templates: dict[str, Any] = {}

    def get_template(self, template_name: str) -> Any:
        if settings.DEBUG:
            return super().get_template(template_name)
        template = self._templates.get(template_name)
        if template is None:
            template = self._templates[template_name] = super().get_template(template_name)
        return template


@dataclass
class SummaryItem:
    href: str  # "#<id of the field>", or "" for an error of the whole form
    label: str
    messages: list[str]


def error_summary(form: forms.BaseForm) -> list[SummaryItem]:
    """Each wrong field, in the order the form shows them, with a link to it; then each file the person
    must attach again."""
    if not form.is_bound or not form.errors:
        return []
    items = [SummaryItem("", "", list(form.non_field_errors()))] if form.non_field_errors() else []
    for field in form:
        anchor = f"#{field.id_for_label or field.auto_id}" if not field.is_hidden else ""
        messages = list(field.errors)
        if getattr(field, "must_reattach", False) and REATTACH not in messages:
            messages.append(str(REATTACH))
        if messages:
            items.append(SummaryItem(anchor, str(field.label or ""), messages))
    return items
