"""{{ number|phone }}: a phone number the one way people read it here (apps/core/phones.py)."""

from django import template

from ..phones import phone_format

register = template.Library()


@register.filter
def phone(value: object) -> str:
    return phone_format(value)
