"""The one helper that turns a template name and its context into a message (STYLE rule 14).

Email: templates/emails/<name>.subject.txt, .txt and .html. SMS: templates/sms/<name>.txt.
Plain-text parts are rendered without HTML escaping; the HTML part is escaped as usual.
Call it inside `translation.override(language)`: the templates use {% translate %}.
"""

import re
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple

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


# --- attachments --------------------------------------------------------------------------------------
class Attachment(NamedTuple):
    filename: str
    content: bytes
    mimetype: str


# Apps above this one add files to an email of theirs when it is sent (the consent app: the signed receipts
# of a confirmation), built from ids in the stored context, so no file and no personal data is stored here.
# Registered in their AppConfig.ready(), one source per template.
AttachmentSource = Callable[[dict[str, Any], uuid.UUID], list[Attachment]]
_attachment_sources: dict[str, AttachmentSource] = {}


def attachments_register(template: str, source: AttachmentSource) -> None:
    _attachment_sources[template] = source


def render_attachments(template: str, context: dict[str, Any], subject_id: uuid.UUID) -> list[Attachment]:
    """The files an email of this template carries, built now; none if no app registered a source for it."""
    source = _attachment_sources.get(template)
    return source(context, subject_id) if source else []
