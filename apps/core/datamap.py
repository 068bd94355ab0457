"""The personal-data map: one registry of every model that holds personal data or evidence about a person.

Each app registers its holdings in its `AppConfig.ready()`. Erasure, export, the retention sweep and
the records of processing iterate the map, so none of them imports the apps above `subjects`, and a
model that holds personal data cannot be left out of them: `unmapped_models()` names any model with a
reference to a person (a foreign key, or a UUID column named in PERSON_ID_COLUMNS) or an encrypted field
that no holding covers (a system check and a test use it). Evidence about a person (audit events, data
keys, deletion certificates and their log leaves) is mapped too, with its own handling.

The map knows models by label ("consent.ConsentRecord") and reaches the person through a lookup path
("subject"), never through an import.
"""

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.db import models, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from .transfers import transfer_label

PERSON_MODEL = "subjects.DataSubject"


class Category(models.TextChoices):
    """The one closed taxonomy of what we hold about people."""

    PERSON = "person", _("Pseudonymous person id and status")
    IDENTITY = "identity", _("Name")
    CONTACT = "contact", _("Email address and mobile number")
    ADDRESS = "address", _("Postal address")
    REFEREE = "referee", _("Referees' names, numbers and relationship")
    GOVERNMENT_ID = "government-id", _("Legal ID type and number")
    ID_DOCUMENT = "id-document", _("ID document scans")
    PROFESSIONAL = "professional", _("CV and work experience")
    MESSAGE = "message", _("Messages sent to us")
    LOOKUP_INDEX = "lookup-index", _("Keyed hashes of email and phone, to find a person")
    SERVICE = "service", _("Services provided and their state")
    SUBMISSION = "submission", _("Forms sent: which fields and purposes, never values")
    CONSENT_EVIDENCE = "consent-evidence", _("Consent receipts")
    DISCLOSURE = "disclosure", _("Disclosures to third parties")
    NOTIFICATION = "notification", _("Emails and SMS we sent, with their address")
    SECURITY_CODE = "security-code", _("One-time codes (keyed hash only)")
    LEGAL_HOLD = "legal-hold", _("Legal holds on data")
    ERASURE = "erasure", _("Erasure jobs")
    LINK_REQUEST = "link-request", _("Requests for a new private link (keyed hash of the address)")
    COOKIE_CHOICE = "cookie-choice", _("Cookie choices (anonymous visitor id, keyed hash of the IP)")
    STAFF_ACCESS = "staff-access", _("When our staff saw your data in clear, and why")
    RIGHTS_REQUEST = "rights-request", _("Requests to exercise your rights received outside the portal")
    BREACH = "breach", _("Personal-data breaches that affected you")
    # evidence about a person: kept (or destroyed) by its own rules, never holding a personal value
    AUDIT_TRAIL = "audit-trail", _("What was done with your data, when and by whom (ids and actions only)")
    DATA_KEY = "data-key", _("Your data key, stored only wrapped by our master key")
    ERASURE_EVIDENCE = "erasure-evidence", _("Deletion certificates and their hashes in the public log")


# --- what erasure does --------------------------------------------------------------------------
@dataclass(frozen=True)
class Delete:
    """The rows (and their files) are deleted."""

    def describe(self) -> str:
        return str(_("deleted"))


@dataclass(frozen=True)
class Keep:
    """The row stays, pseudonymous: the person's key is destroyed, so any sealed value in it is unreadable.
    Fields named in `scrub` (plain text that could point back to the person) are blanked."""

    why: str
    scrub: tuple[str, ...] = ()

    def describe(self) -> str:
        return str(_("kept without personal data: %(why)s") % {"why": self.why})


# --- how long rows are kept ---------------------------------------------------------------------
@dataclass(frozen=True)
class UntilErased:
    """Kept while the person's service lasts; erased with the person."""

    def describe(self) -> str:
        return str(_("until the service is complete, the person asks us to delete it, or the purpose's "
                     "retention period passes without activity; then erased"))

    def cutoff(self, now: datetime) -> datetime | None:
        return None


@dataclass(frozen=True)
class Days:
    """Rows whose `field` is older than `days` (a number, or the name of a setting) are deleted by the sweep."""

    days: int | str
    field: str = "created_at"

    @property
    def count(self) -> int:
        return getattr(settings, self.days) if isinstance(self.days, str) else self.days

    def describe(self) -> str:
        return str(_("%(days)d days, then deleted") % {"days": self.count})

    def cutoff(self, now: datetime) -> datetime | None:
        return now - timedelta(days=self.count)


@dataclass(frozen=True)
class AsEvidence:
    """Kept as evidence for as long as the law lets someone ask us to prove it."""

    why: str

    def describe(self) -> str:
        return str(_("kept as evidence: %(why)s") % {"why": self.why})

    def cutoff(self, now: datetime) -> datetime | None:
        return None


Retention = UntilErased | Days | AsEvidence
Exporter = Callable[[QuerySet], list[dict[str, Any]]]
PartialEraser = Callable[[QuerySet, frozenset[str]], list[str]]


@dataclass(frozen=True)
class Holding:
    model: str  # "app_label.ModelName"
    categories: tuple[str, ...]
    # The texts below are gettext_lazy in each holdings.py: the policy's table, the export and the records of
    # processing read them in the active language.
    purposes: tuple[str, ...]  # what it serves, in words a privacy officer reads
    legal_basis: str
    on_erasure: Delete | Keep
    retention: Retention
    # Lookup path from a row to the person's id ("subject"); None: not linked to a known person.
    person: str | None = "subject"
    # How the rows appear in the person's export; None with `not_exported` saying why.
    export: Exporter | None = None
    export_key: str = ""
    not_exported: str = ""
    recipients: str = ""
    # A field holding the stored name of a vault file; the file is deleted with the row.
    file_field: str = ""
    # The name a legal hold uses to keep these rows ("documents", "message"); empty: a hold cannot.
    hold_name: str = ""
    # Field-by-field erasure under a legal hold (returns the names erased); default: delete the rows.
    erase_unheld: PartialEraser | None = field(default=None, compare=False)
    # Categories a row holds only when it matches a condition (a record without an address holds no
    # address): ((category, Q), ...). A deletion certificate names only what the person's rows held.
    held_when: tuple[tuple[str, models.Q], ...] = field(default=(), compare=False)

    @property
    def model_class(self) -> type[models.Model]:
        return apps.get_model(self.model)

    @property
    def label(self) -> str:
        return self.export_key or self.model.split(".")[1].lower()

    @property
    def encrypted_fields(self) -> list[str]:
        return [f.name for f in self.model_class._meta.concrete_fields if getattr(f, "encrypted", False)]

    def rows_of(self, subject_ids: Iterable[Any]) -> QuerySet:
        if self.person is None:
            return self.model_class.objects.none()
        return self.model_class.objects.filter(**{f"{self.person}__in": list(subject_ids)})


_holdings: dict[str, Holding] = {}


def register(*holdings: Holding) -> None:
    for holding in holdings:
        unknown = set(holding.categories) - set(Category.values)
        if unknown:
            raise ValueError(f"{holding.model}: unknown categories {sorted(unknown)}")
        if holding.export is None and not holding.not_exported:
            raise ValueError(f"{holding.model}: say how it is exported, or why it is not")
        if holding.model in _holdings:
            raise ValueError(f"{holding.model} is registered twice")
        _holdings[holding.model] = holding


def holdings() -> list[Holding]:
    return list(_holdings.values())


# --- what the map drives ------------------------------------------------------------------------
def files_of(subject_ids: list[Any]) -> list[str]:
    """Stored names of every vault file of these people (deleted before their rows)."""
    names: list[str] = []
    for holding in holdings():
        if holding.file_field and isinstance(holding.on_erasure, Delete):
            names += list(holding.rows_of(subject_ids).values_list(holding.file_field, flat=True))
    return names


def rows_erase(*, subject_ids: list[Any], kept: frozenset[str] = frozenset()) -> dict[str, int]:
    """Delete every mapped row of these people that erasure deletes, set-based, in one transaction.

    `kept` names what a legal hold keeps (hold names, or fields a holding's `erase_unheld` knows).
    Returns the count per holding label (a partially erased holding counts the fields it cleared)."""
    counts: dict[str, int] = {}
    with transaction.atomic():
        for holding in _erased_holdings():
            rows = holding.rows_of(subject_ids)
            if kept and holding.hold_name in kept:
                continue
            if kept and holding.erase_unheld is not None:
                counts[holding.label] = len(holding.erase_unheld(rows, kept))
                continue
            counts[holding.label] = rows.delete()[0]
        if not kept:
            for holding in holdings():
                if isinstance(holding.on_erasure, Keep) and holding.on_erasure.scrub and holding.person:
                    holding.rows_of(subject_ids).update(**{name: "" for name in holding.on_erasure.scrub})
    return counts


def _erased_holdings() -> list[Holding]:
    return [h for h in holdings() if isinstance(h.on_erasure, Delete) and h.person is not None]


def rows_count_by_person(*, subject_ids: list[Any]) -> dict[Any, dict[str, int]]:
    """{person: {holding label: rows}} of what erasure deletes: one grouped query per holding."""
    counts: dict[Any, dict[str, int]] = {s: {h.label: 0 for h in _erased_holdings()} for s in subject_ids}
    for holding in _erased_holdings():
        grouped = holding.rows_of(subject_ids).values(holding.person).annotate(n=models.Count("pk")).order_by()
        for row in grouped:
            counts[row[holding.person]][holding.label] = row["n"]
    return counts


def rows_remaining(*, subject_ids: list[Any], by_person: bool = False) -> dict[Any, int]:
    """Rows of these people that erasure should have deleted and that are still there, per holding
    label (or per person with `by_person`)."""
    left: dict[Any, int] = {}
    for holding in _erased_holdings():
        if by_person:
            for person in holding.rows_of(subject_ids).values_list(holding.person, flat=True):
                left[person] = left.get(person, 0) + 1
        elif count := holding.rows_of(subject_ids).count():
            left[holding.label] = count
    return left


def categories_by_person(*, counts: dict[Any, dict[str, int]]) -> dict[Any, list[str]]:
    """{person: the categories of data erasure destroys}, from rows_count_by_person's counts and, for the
    holdings whose rows hold some categories only sometimes, one grouped query each (read without the key)."""
    found: dict[Any, set[str]] = {person: set() for person in counts}
    for holding in _erased_holdings():
        sometimes = {category for category, _q in holding.held_when}
        always = [c for c in holding.categories if c not in sometimes]
        for person, by_label in counts.items():
            if by_label.get(holding.label):
                found[person].update(always)
        if holding.held_when:
            aggregates = {f"c{i}": models.Count("pk", filter=q) for i, (_c, q) in enumerate(holding.held_when)}
            for row in holding.rows_of(list(counts)).values(holding.person).annotate(**aggregates).order_by():
                found[row[holding.person]].update(
                    category for i, (category, _q) in enumerate(holding.held_when) if row[f"c{i}"])
    return {person: [c for c in Category.values if c in held] for person, held in found.items()}


def export_for(*, subject_id: Any) -> dict[str, Any]:
    """Everything the map holds about one person, holding by holding, with what each is for."""
    sections: dict[str, Any] = {}
    also_held = []
    for holding in holdings():
        if holding.person is None:
            continue
        description = {"categories": list(holding.categories), "purposes": [str(p) for p in holding.purposes],
                       "legal_basis": str(holding.legal_basis), "recipients": str(holding.recipients),
                       "retention": holding.retention.describe(),
                       "on_erasure": holding.on_erasure.describe()}
        if holding.export is None:
            also_held.append({"what": holding.label, **description, "why_not_shown": str(holding.not_exported)})
            continue
        sections[holding.label] = {**description, "rows": holding.export(holding.rows_of([subject_id]))}
    return {"data": sections, "also_held": also_held}


def expired_rows_delete(*, now: datetime) -> dict[str, int]:
    """Delete rows past a holding's own retention period (`Days`). Returns the count per holding."""
    counts = {}
    for holding in holdings():
        cutoff = holding.retention.cutoff(now)
        if cutoff is None:
            continue
        deleted = holding.model_class.objects.filter(**{f"{holding.retention.field}__lt": cutoff}).delete()[0]
        if deleted:
            counts[holding.label] = deleted
    return counts


def records_of_processing() -> list[dict[str, str]]:
    """One row per holding: what a controller must be able to say about the data it holds."""
    rows = []
    for holding in holdings():
        model = holding.model_class
        encrypted = holding.encrypted_fields
        where = model._meta.db_table + (_(" and encrypted files under MEDIA_ROOT") if holding.file_field else "")
        rows.append({
            "holding": holding.model,
            "description": str(model._meta.verbose_name_plural),
            "categories": ", ".join(str(Category(c).label) for c in holding.categories),
            "purposes": "; ".join(str(p) for p in holding.purposes),
            "legal_basis": str(holding.legal_basis),
            "recipients": str(holding.recipients or _("nobody outside the company")),
            "retention": holding.retention.describe(),
            "where": str(where),
            "encrypted": (str(_("yes, with the person's key: %(fields)s") % {"fields": ", ".join(encrypted)})
                          if encrypted else str(_("no personal values in clear"))),
            "on_erasure": holding.on_erasure.describe(),
            "in_export": str(_("yes") if holding.export else holding.not_exported),
        })
    return rows


COLUMNS = {"holding": _("Where (model)"), "description": _("What"), "categories": _("Categories"),
           "purposes": _("Purposes"), "legal_basis": _("Legal basis"), "recipients": _("Recipients"),
           "retention": _("Retention"), "where": _("Stored in"), "encrypted": _("Encrypted"),
           "on_erasure": _("On erasure"), "in_export": _("In the person's export")}


# Who receives personal data from us, with where they process it (Act ss.48-50): the apps that keep recipients
# (policies: the disclosures of the policy in force; subjects: client companies) register a source here.
_recipient_sources: list[Callable[[], list[dict[str, str]]]] = []
RECIPIENT_COLUMNS = {"recipient": _("Recipient"), "kind": _("Kind"), "country": _("Country"),
                     "safeguard": _("Transfer outside Kenya")}


def recipients_register(source: Callable[[], list[dict[str, str]]]) -> None:
    if source not in _recipient_sources:
        _recipient_sources.append(source)


def recipients() -> list[dict[str, str]]:
    """Every recipient (name, kind, two-letter country, the transfer's safeguard or "in Kenya")."""
    return [row for source in _recipient_sources for row in source()]


PROCESSOR_NAMES = {"email": _("Our email delivery provider"), "sms": _("Our SMS delivery provider")}


def processor_recipients() -> list[dict[str, str]]:
    """Our own processors (settings.DATA_PROCESSORS), with where they process the data."""
    return [{"recipient": str(PROCESSOR_NAMES.get(name, name)), "kind": str(_("Our processor")),
             "country": p["country"], "safeguard": transfer_label(country=p["country"], safeguard=p["safeguard"])}
            for name, p in settings.DATA_PROCESSORS.items()]


recipients_register(processor_recipients)


def controller_line() -> str:
    """Who keeps these records: the controller and its ODPC registration numbers (Data Protection Act 2019, s.18)."""
    line = _("Data controller: %(name)s, registered with the Office of the Data Protection Commissioner as number "
             "%(number)s.") % {"name": settings.CONTROLLER_NAME,
                               "number": settings.CONTROLLER_REGISTRATION or _("(not set)")}
    if settings.PROCESSOR_REGISTRATION:
        line += " " + _("Registered as a data processor, number %(number)s.") % {
            "number": settings.PROCESSOR_REGISTRATION}
    return str(line)


def render_records(rows: list[dict[str, str]], *, format: str) -> str:  # noqa: A002
    """The records of processing as CSV or a Markdown table."""
    if format == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(COLUMNS))
        writer.writerow({key: str(label) for key, label in COLUMNS.items()})
        writer.writerows(rows)
        return out.getvalue()
    def cell(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")
    lines = [controller_line(), "", "| " + " | ".join(str(label) for label in COLUMNS.values()) + " |",
             "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(cell(row[key]) for key in COLUMNS) + " |" for row in rows]
    lines += ["", str(_("Recipients and transfers outside Kenya")), "",
              "| " + " | ".join(str(label) for label in RECIPIENT_COLUMNS.values()) + " |",
              "|" + "---|" * len(RECIPIENT_COLUMNS)]
    lines += ["| " + " | ".join(cell(row[key]) for key in RECIPIENT_COLUMNS) + " |" for row in recipients()]
    return "\n".join(lines) + "\n"


# Columns that name a person by their public id without a foreign key (the key store may live in a database
# of its own; evidence outlives the person's row). A UUID column of one of these names is a reference to a
# person as much as a foreign key is. Other UUID columns name other things (a notification's `intake_id` is
# an unconfirmed form, not a person; a `certificate_id` is a certificate).
PERSON_ID_COLUMNS = frozenset({"subject_id", "person_id"})


def references_person(field: models.Field, person: type[models.Model]) -> bool:
    """A foreign key to the person, or a UUID column declared in PERSON_ID_COLUMNS."""
    if field.is_relation:
        return field.related_model is person
    return isinstance(field, models.UUIDField) and field.name in PERSON_ID_COLUMNS


def unmapped_models() -> list[str]:
    """Models with a reference to a person (a foreign key or a declared UUID column), or an encrypted
    field, that no holding covers."""
    person = apps.get_model(PERSON_MODEL)
    missing = []
    for model in apps.get_models():
        if model is person or model._meta.label in _holdings:
            continue
        fields = model._meta.concrete_fields
        relates = any(references_person(f, person) for f in fields)
        encrypted = any(getattr(f, "encrypted", False) for f in fields)
        if relates or encrypted:
            missing.append(model._meta.label)
    return sorted(missing)


@checks.register()
def check_datamap(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    return [
        checks.Error(f"{label} holds personal data but is not in the personal-data map",
                     hint="Register a Holding for it in its app's AppConfig.ready() (apps/core/datamap.py).",
                     id="core.E001")
        for label in unmapped_models()
    ]
