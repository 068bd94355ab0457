"""The one helper that turns a template name and its context into a message (STYLE rule 14).

Email: templates/emails/<name>.subject.txt, .txt and .html. SMS: templates/sms/<name>.txt.
Plain-text parts are rendered without HTML escaping; the HTML part is escaped as usual.
Call it inside `translation.override(language)`: the templates use {% translate %}.
"""

import json
import math
import re
import unicodedata
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple

from django.conf import settings
from django.template import Context
from django.template.loader import get_template
from django.utils import translation
from django.utils.html import escape

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


# --- SMS in GSM-7 ---------------------------------------------------------------------------------------
# One character outside the GSM 03.38 alphabet turns the whole SMS into UCS-2: 70 characters a segment instead
# of 160 (a Kikuyu name with ũ or ĩ made the referee SMS 5 segments instead of 2). So an SMS is sent in GSM-7
# only: a letter with a mark GSM-7 lacks loses the mark (ũ → u, ĩ → i, ŵ → w), and a few signs get their plain
# form. Emails keep every character.
GSM7_BASIC = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§"
              "¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENSION = "^{}\\[~]|€\f"  # two septets each
_PLAIN = {"‘": "'", "’": "'", "ʼ": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "...", "\u00a0": " ",
          "•": "-", "«": '"', "»": '"'}


def gsm7(text: str) -> str:
    """The text in the GSM-7 alphabet: marks GSM-7 lacks dropped, a few signs made plain, anything else '?'."""
    out = []
    for char in text:
        if char in GSM7_BASIC or char in GSM7_EXTENSION or char == "\x00":  # \x00: BatchRenderer's markers
            out.append(char)
            continue
        plain = _PLAIN.get(char) or "".join(c for c in unicodedata.normalize("NFKD", char)
                                            if not unicodedata.combining(c))
        out.append(plain if plain and all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in plain) else "?")
    return "".join(out)


def sms_segments(text: str) -> int:
    """How many SMS parts the text takes: GSM-7 160 (153 each when split), else UCS-2 70 (67 each)."""
    if all(c in GSM7_BASIC or c in GSM7_EXTENSION for c in text):
        septets = len(text) + sum(c in GSM7_EXTENSION for c in text)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def render_message(template: str, context: dict[str, Any], channel: str = EMAIL) -> tuple[str, str, str]:
    """Return (subject, text, html). For SMS only the text is set: ("", text, ""), in GSM-7 (`gsm7`)."""
    full = {**_site_context(), **context}
    if channel == SMS:
        lines = (line.strip() for line in _render(f"sms/{template}.txt", full, autoescape=False).splitlines())
        return "", gsm7("\n".join(line for line in lines if line)), ""
    # One line, always: a newline in a subject would start a new header.
    subject = " ".join(_render(f"emails/{template}.subject.txt", full, autoescape=False).split())
    text = _render(f"emails/{template}.txt", full, autoescape=False)
    text = "\n".join(line.rstrip() for line in text.splitlines())
    text = re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"
    html = _render(f"emails/{template}.html", full, autoescape=True)
    return subject, text, html


# --- many messages of one template ---------------------------------------------------------------------
# Values that differ per person and that a template only prints as they are (no filter, no test on them):
# private links, one-click choice links. Registered per template by the app that owns it, as a dotted path
# where "*" walks a list ("disclosures.*.choice_url"). A batch of such messages renders each distinct text
# once (per language and the rest of the context), with a marker in place of each value, then puts each
# person's values in (escaped in the HTML part, as the template would have).
_personal_values: dict[str, tuple[str, ...]] = {}
_MARK = "\x00{}\x00"


def personal_values_register(template: str, paths: tuple[str, ...]) -> None:
    _personal_values[template] = paths


def _hollow(value: Any, path: list[str], values: list[str]) -> Any:
    """A copy of value with the strings at path replaced by markers (appended to values)."""
    if not path:
        if isinstance(value, str) and value:
            values.append(value)
            return _MARK.format(len(values) - 1)
        return value
    head, rest = path[0], path[1:]
    if head == "*" and isinstance(value, list):
        return [_hollow(item, rest, values) for item in value]
    if isinstance(value, dict) and head in value:
        return {**value, head: _hollow(value[head], rest, values)}
    return value


class BatchRenderer:
    """render_message for a batch: a template with registered personal values is rendered once per distinct
    rest of its context and language; any other template, or a text the markers did not come through
    whole, is rendered as usual."""

    def __init__(self) -> None:
        self._texts: dict[tuple, tuple[str, str, str]] = {}

    def render(self, template: str, context: dict[str, Any], channel: str = EMAIL) -> tuple[str, str, str]:
        paths = _personal_values.get(template)
        if not paths:
            return render_message(template, context, channel)
        values: list[str] = []
        skeleton = context
        for path in paths:
            skeleton = _hollow(skeleton, path.split("."), values)
        if not values:
            return render_message(template, context, channel)
        key = (template, channel, translation.get_language(), json.dumps(skeleton, sort_keys=True, default=str),
               tuple(sorted(_site_context().items())))
        if key not in self._texts:
            self._texts[key] = render_message(template, skeleton, channel)
        subject, text, html = self._texts[key]
        filled = (_fill(subject, values, escape_html=False), _fill(text, values, escape_html=False),
                  _fill(html, values, escape_html=True))
        if channel == SMS:
            filled = (filled[0], gsm7(filled[1]), filled[2])
        if any("\x00" in part for part in filled):  # a marker was altered on the way: no shortcut here
            return render_message(template, context, channel)
        return filled


def _fill(text: str, values: list[str], *, escape_html: bool) -> str:
    for i, value in enumerate(values):
        text = text.replace(_MARK.format(i), str(escape(value)) if escape_html else value)
    return text


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
