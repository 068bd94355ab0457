"""{% error_summary form %}: at the top of a form that came back with mistakes, focused on load."""

from django import forms, template

from ..forms import error_summary as summary_items

register = template.Library()


@register.inclusion_tag("core/forms/error_summary.html")
def error_summary(form: forms.BaseForm, nothing: str = "stored") -> dict:
    return {"items": summary_items(form), "nothing": nothing}
