from django import template

register = template.Library()


@register.filter
def consent_field(form, purpose):
    """The bound checkbox of one purpose: {{ form|consent_field:purpose }}."""
    return form[f"consent_{purpose.slug}"]
