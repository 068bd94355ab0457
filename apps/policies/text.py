"""The policy's text: Markdown to sanitised HTML with a table of contents, the generated "what we hold"
table, and readable differences between two versions (paragraphs, disclosures, that table)."""

import difflib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import markdown
import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from apps.core import datamap
from apps.core.transfers import HOME_COUNTRY, transfer_label

ALLOWED_TAGS = {"h2", "h3", "h4", "p", "ul", "ol", "li", "strong", "em", "a", "blockquote", "code", "br", "hr",
                "table", "thead", "tbody", "tr", "th", "td", "div", "nav"}
# No `class` anywhere: with it, a policy could dress a paragraph as the site's own banner or notice. The page
# styles the table of contents through the <nav> around it (templates/policies/policy.html).
ALLOWED_ATTRIBUTES = {"h2": {"id"}, "h3": {"id"}, "h4": {"id"}, "a": {"href", "title"}, "th": {"scope"}}
TABLE_COLUMNS = ["categories", "purposes", "legal_basis", "recipients", "retention"]


def _safe_link(tag: str, attribute: str, value: str) -> str | None:
    """A link goes to an https address, an email address, a heading of the page or a path of this site; never
    protocol-relative (`//evil.example`, `/\\evil.example`: another site over whatever scheme) nor http."""
    if tag != "a" or attribute != "href":
        return value
    link = value.strip()
    if "\\" in link or any(ord(c) < 0x21 for c in link):
        return None
    if link.startswith("#") or (link.startswith("/") and not link.startswith("//")):
        return link
    lower = link.lower()
    if lower.startswith("mailto:") or (lower.startswith("https://") and not link[8:].startswith("/")):
        return link
    return None


def render_markdown(body: str) -> tuple[str, str]:
    """(html, toc_html), both sanitised: staff write the Markdown, visitors read the result."""
    converter = markdown.Markdown(extensions=["toc", "sane_lists", "tables"],
                                  extension_configs={"toc": {"toc_depth": "2-3"}})
    # A policy's own headings start at h2: the page's h1 is the title.
    html = converter.convert(re.sub(r"^# ", "## ", body, flags=re.MULTILINE))
    toc = converter.toc if "<li>" in converter.toc else ""
    clean = {"tags": ALLOWED_TAGS, "attributes": ALLOWED_ATTRIBUTES, "url_schemes": {"https", "mailto"},
             "attribute_filter": _safe_link}
    return nh3.clean(html, **clean), nh3.clean(toc, **clean)


# The consent app (above this one) adds a row per purpose: registered in ConsentConfig.ready(), as the
# personal-data map's holdings are.
PurposeRows = Callable[[], list[dict[str, str]]]
_purpose_rows: list[PurposeRows] = []


def purpose_rows_register(rows: PurposeRows) -> None:
    _purpose_rows[:] = [rows]


def data_table(disclosures: Iterable[Any] = ()) -> list[dict[str, str]]:
    """What we collect, why, for how long and who receives it: a row per purpose we ask consent for, then
    a row per holding of the personal-data map, in the active language, with the recipients the version's
    `disclosures` add. Frozen into a version when it is published, so the published policy says what the
    code does at that moment."""
    purposes = [row for source in _purpose_rows for row in source()]
    holdings = sorted(({"holding": row["holding"], **{column: row[column] for column in TABLE_COLUMNS}}
                       for row in datamap.records_of_processing()), key=lambda r: r["holding"])
    return with_disclosures(purposes + holdings, disclosures)


def _receiver(disclosure: Any) -> str:
    """A recipient as the table names it; one outside Kenya with its country and the transfer's safeguard."""
    receiver = f"{disclosure.recipient} ({disclosure.recipient_category})"
    country = getattr(disclosure, "recipient_country", HOME_COUNTRY) or HOME_COUNTRY
    if country != HOME_COUNTRY:
        receiver += ", " + transfer_label(country=country, safeguard=disclosure.transfer_safeguard)
    return receiver


def with_disclosures(rows: list[dict[str, str]], disclosures: Iterable[Any]) -> list[dict[str, str]]:
    """The table with each disclosure's recipient named in the row of its purpose ("nobody outside the
    company" replaced), or in a row of its own when it names no purpose of the table. Idempotent: a table
    frozen with the disclosures already in it comes back the same."""
    rows = [dict(row) for row in rows]
    by_key = {row["holding"]: row for row in rows}
    nobody = str(_("nobody outside the company"))
    for disclosure in disclosures:
        receiver = _receiver(disclosure)
        row = by_key.get(f"purpose:{disclosure.purpose_slug}") if disclosure.purpose_slug else None
        if row is None:
            key = f"disclosure:{disclosure.key}"
            if key not in by_key:
                by_key[key] = {"holding": key, "categories": ", ".join(
                    str(datamap.Category(c).label) for c in disclosure.data_categories if c in datamap.Category.values),
                    "purposes": disclosure.purpose, "legal_basis": "", "recipients": receiver, "retention": ""}
                rows.append(by_key[key])
            continue
        recipients = row.get("recipients") or nobody
        if receiver not in recipients:
            row["recipients"] = receiver if recipients == nobody else f"{recipients}; {receiver}"
    return rows


# --- differences -------------------------------------------------------------------------------------
@dataclass
class Block:
    kind: str  # "same", "changed", "added", "removed"
    html: SafeString


@dataclass
class Change:
    kind: str  # "added", "removed", "changed"
    key: str
    old: dict[str, Any] | None
    new: dict[str, Any] | None
    fields: list[str] = field(default_factory=list)

    @property
    def pairs(self) -> list[tuple[str, Any, Any]]:
        return [(name, (self.old or {}).get(name), (self.new or {}).get(name)) for name in self.fields]


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if p.strip()]


def _words_diff(old: str, new: str) -> str:
    a, b = old.split(), new.split()
    out = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            out.append(escape(" ".join(a[i1:i2])))
        if op in ("delete", "replace"):
            out.append(f"<del>{escape(' '.join(a[i1:i2]))}</del>")
        if op in ("insert", "replace"):
            out.append(f"<ins>{escape(' '.join(b[j1:j2]))}</ins>")
    return " ".join(out)


def text_diff(old: str, new: str) -> list[Block]:
    """Paragraph by paragraph; a changed paragraph shows its removed and added words."""
    a, b = _paragraphs(old), _paragraphs(new)
    blocks: list[Block] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            blocks += [Block("same", mark_safe(escape(p))) for p in a[i1:i2]]  # noqa: S308 (escaped)
        elif op == "replace" and i2 - i1 == j2 - j1:
            blocks += [Block("changed", mark_safe(_words_diff(x, y)))  # noqa: S308 (escaped in _words_diff)
                       for x, y in zip(a[i1:i2], b[j1:j2], strict=True)]
        else:
            blocks += [Block("removed", mark_safe(escape(p))) for p in a[i1:i2]]  # noqa: S308
            blocks += [Block("added", mark_safe(escape(p))) for p in b[j1:j2]]  # noqa: S308
    return blocks


def keyed_diff(old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]) -> list[Change]:
    """Rows compared by key: added, removed, or changed (naming the fields that changed)."""
    changes = []
    for key in sorted(set(old) | set(new)):
        before, after = old.get(key), new.get(key)
        if before is None:
            changes.append(Change("added", key, None, after))
        elif after is None:
            changes.append(Change("removed", key, before, None))
        elif before != after:
            changes.append(Change("changed", key, before, after,
                                  sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))))
    return changes
