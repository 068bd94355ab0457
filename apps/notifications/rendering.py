"""The one helper that turns a template name and its context into a message (STYLE rule 14).

Email: templates/emails/<name>.subject.txt, .txt and .html. SMS: templates/sms/<name>.txt.
Plain-text parts are rendered without HTML escaping; the HTML part is escaped as usual.
Call it inside `translation.override(language)`: the templates use {% translate %}.
"""

import re
from typing import Any

from django.conf import settings
from django.template import Context
from django.template.loader import get_template

EMAIL = "email"
SMS = "sms"


def template_names(template: str, channel: str = EMAIL) -> list[str]:
    if channel == SMS:
        return [f"sms/{template}.txt"]
    return [f"emails/{template}.subject.txt", f"emails/{template}.txt", f"emails/{template}.html"]


def _site_context() -> dict[str, Any]:
    return {
        "site_url": settings.SITE_URL,
        "controller_name": settings.CONTROLLER_NAME,
        "privacy_officer_email": settings.PRIVACY_OFFICER_EMAIL,
    }


def _render(name: str, context: dict[str, Any], *, autoescape: bool) -> str:
    return get_template(name).template.render(Context(context, autoescape=autoescape))


def render_message(template: str, context: dict[str, Any], channel: str = EMAIL) -> tuple[str, str, str]:
    """Return (subject, text, html). For SMS only the text is set: ("", text, "")."""
    full = {**_site_context(), **context}
    if channel == SMS:
        lines = (line.strip() for line in _render(f"sms/{template}.txt", full, autoescape=False).splitlines())
        return "", "\n".join(line for line in lines if line), ""
    # One line, always: a newline in a subject would start a new header.
    subject = " ".join(_render(f"emails/{template}.subject.txt", full, autoescape=False).split())
    text = _render(f"emails/{template}.txt", full, autoescape=False)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    html = _render(f"emails/{template}.html", full, autoescape=True)
    return subject, text, html
