"""The person's export as a ZIP they can open: a page to read (in their language), their own files as files,
each signed receipt as a .jws next to its text in words, and the JSON for machines (docs/export-format.md).

Built from the export body `services.data_export` returns (the personal-data map's export); nothing here reads
personal data of its own. The JSON in the ZIP is that body with each file's content moved out into the ZIP
(`file` names it) instead of base64 inside it.
"""

import base64
import copy
import io
import json
import zipfile
from datetime import datetime
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.consent.models import Purpose
from apps.notifications.models import Notification
from apps.subjects.models import DataSubject, ErasureJob, IdentityDocument, Reveal, ServiceEngagement

EXTENSIONS = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}
FILE_NAMES = {IdentityDocument.Kind.ID_SCAN: "id-scan", IdentityDocument.Kind.CV: "cv"}

# Section titles, by the personal-data map's export keys; a key not here shows as it is.
SECTION_TITLES = {
    "person": gettext_lazy("You in our records"),
    "record": gettext_lazy("Your details"),
    "documents": gettext_lazy("Your files"),
    "engagements": gettext_lazy("Your applications and services"),
    "enquiries": gettext_lazy("Your messages to us"),
    "consents": gettext_lazy("Your consents"),
    "submissions": gettext_lazy("Forms you sent"),
    "messages_sent": gettext_lazy("Messages we sent you"),
    "disclosures": gettext_lazy("Who received your data"),
    "disclosure_choices": gettext_lazy("Your choices about giving your data to others"),
    "policy_change_notices": gettext_lazy("Notices of changes to our privacy policy"),
    "legal_holds": gettext_lazy("Data we must keep by law"),
    "erasure_jobs": gettext_lazy("Deletions asked for"),
    "staff_access": gettext_lazy("When our staff looked at your data"),
    "rights_requests": gettext_lazy("Your requests about your rights"),
    "breach_notices": gettext_lazy("Notices of a data breach"),
}
# Field names of the export, in words; a name not here shows with its underscores as spaces.
FIELD_LABELS = {
    "full_name": gettext_lazy("Full name"), "email": gettext_lazy("Email address"),
    "mobile": gettext_lazy("Mobile number"), "address": gettext_lazy("Postal or physical address"),
    "legal_id_type_name": gettext_lazy("Type of ID"), "legal_id_number": gettext_lazy("ID number"),
    "experience": gettext_lazy("Work experience"), "updated_at": gettext_lazy("Last changed"),
    "public_id": gettext_lazy("Your number in our records"), "status": gettext_lazy("State"),
    "created_at": gettext_lazy("Since"), "message": gettext_lazy("Message"), "sent_at": gettext_lazy("Sent"),
    "channel": gettext_lazy("By"), "to": gettext_lazy("To"), "language": gettext_lazy("Language"),
    "queued_at": gettext_lazy("Written"), "form": gettext_lazy("Form"), "fields_given": gettext_lazy("Fields given"),
    "purposes_agreed": gettext_lazy("Purposes agreed"), "vacancy": gettext_lazy("Vacancy"),
    "what": gettext_lazy("What"), "reason": gettext_lazy("Why"), "at": gettext_lazy("When"),
    "basis": gettext_lazy("Legal basis"), "fields": gettext_lazy("Fields"), "until": gettext_lazy("Until"),
    "state": gettext_lazy("State"), "requested_at": gettext_lazy("Asked for"),
    "recipient": gettext_lazy("Recipient"), "data_categories": gettext_lazy("Data given"),
    "legal_basis": gettext_lazy("Legal basis"), "disclosed_at": gettext_lazy("Given on"),
    "policy_version": gettext_lazy("Privacy policy version"), "choice": gettext_lazy("Your choice"),
    "type": gettext_lazy("Request"), "received_at": gettext_lazy("Received"), "due_at": gettext_lazy("Due"),
    "outcome": gettext_lazy("Outcome"), "completed_at": gettext_lazy("Completed"),
}
# Stored values of a field, in words (the models' own labels, translated).
VALUE_LABELS = {
    "status": {**dict(DataSubject.Status.choices), **dict(ServiceEngagement.Status.choices),
               **dict(Notification.Status.choices)},
    "channel": dict(Notification.Channel.choices), "state": dict(ErasureJob.State.choices),
    "what": dict(Reveal.What.choices), "service": dict(ServiceEngagement.Service.choices),
}
SKIPPED_FIELDS = {"referees", "legal_id_type", "signed", "content_base64", "id", "file"}
DATE_FIELDS = {"at", "until", "erased_if_no_activity_by"}


def _when(value: Any) -> str:
    """An ISO date-time of the export as Kenyans write it (day month year, 24 h, Nairobi time)."""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "DATETIME_FORMAT")


def _is_date(key: str) -> bool:
    return key.endswith("_at") or key in DATE_FIELDS


def _value(key: str, value: Any) -> str:
    if value in (None, "", [], {}):
        return "—"
    if _is_date(key):
        return _when(value)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str) and value in VALUE_LABELS.get(key, {}):
        return str(VALUE_LABELS[key][value])
    if isinstance(value, list):
        return ", ".join(_value(key, item) for item in value)
    if isinstance(value, dict):
        return "; ".join(f"{_label(k)}: {_value(k, v)}" for k, v in value.items())
    return str(value)


def _label(key: str) -> str:
    return str(FIELD_LABELS.get(key, key.replace("_", " ")))


def _fields(row: dict) -> list[tuple[str, str]]:
    return [(_label(k), _value(k, v)) for k, v in row.items() if k not in SKIPPED_FIELDS]


def _about(section: dict) -> dict:
    """Why we hold a part, until when, and what deletion does to it, in the reader's language where the
    catalogue has the words (the personal-data map's texts are marked for translation there)."""
    return {"purposes": [_(p) for p in section.get("purposes", [])], "legal_basis": _(section.get("legal_basis", "")),
            "retention": _(section.get("retention", "")), "on_erasure": _(section.get("on_erasure", "")),
            "recipients": _(section["recipients"]) if section.get("recipients") else ""}


def _files(body: dict) -> list[dict]:
    """Each document out of the JSON and into the ZIP: [{name, content, kind, row}]; the row keeps `file`."""
    files, taken = [], set()
    for row in body.get("data", {}).get("documents", {}).get("rows", []):
        stem = FILE_NAMES.get(row.get("kind"), "file")
        name = f"files/{stem}.{EXTENSIONS.get(row.get('content_type'), 'bin')}"
        n = 2
        while name in taken:
            name = f"files/{stem}-{n}.{EXTENSIONS.get(row.get('content_type'), 'bin')}"
            n += 1
        taken.add(name)
        content = base64.b64decode(row.pop("content_base64", "") or "")
        row["file"] = name
        kind = dict(IdentityDocument.Kind.choices).get(row.get("kind"), row.get("kind"))
        files.append({"name": name, "content": content, "kind": kind, "size_kb": max(1, round(len(content) / 1024)),
                      "uploaded_at": _when(row.get("uploaded_at")), "type": row.get("content_type")})
    return files


def _consent_text(row: dict, purpose_names: dict[str, str]) -> str:
    purpose = purpose_names.get(row.get("purpose"), row.get("purpose"))
    when = _when(row.get("agreed_at") or row.get("at"))
    if row.get("action") == "withdrawn":
        text = _("On %(when)s you withdrew your consent to “%(purpose)s”.") % {"when": when, "purpose": purpose}
    else:
        text = _("On %(when)s you gave your consent to “%(purpose)s”.") % {"when": when, "purpose": purpose}
    if row.get("policy_version"):
        text += " " + _("Our privacy policy then was version %(version)s.") % {"version": row["policy_version"]}
    handed = row.get("handed_over_by")
    if handed:
        text += " " + _("%(company)s collected it and handed it over to us.") % {"company": handed["client_company"]}
    words = row.get("words_shown") or []
    if words:
        text += "\n\n" + _("The words you were shown:") + "\n" + "\n".join(words)
    return text


def _choice_text(row: dict) -> str:
    when, version = _when(row.get("at")), row.get("policy_version")
    if row.get("choice") == "opted-in":
        return _("On %(when)s you agreed that we may give your data to others as our privacy policy version "
                 "%(version)s allows (%(disclosure)s).") % {"when": when, "version": version,
                                                            "disclosure": row.get("disclosure")}
    return _("On %(when)s you refused that we give your data to others as our privacy policy version %(version)s "
             "would allow (%(disclosure)s).") % {"when": when, "version": version, "disclosure": row.get("disclosure")}


def _receipts(body: dict) -> list[dict]:
    data = body.get("data", {})
    consents = data.get("consents", {}).get("rows", [])
    # The purpose's name in the active language (modeltranslation), not its slug.
    names = {p.slug: p.name for p in Purpose.objects.filter(slug__in={r.get("purpose") for r in consents})}
    receipts = []
    for n, row in enumerate(consents, start=1):
        stem = f"receipts/consent-{n}-{row.get('purpose')}"
        receipts.append({"stem": stem, "text": _consent_text(row, names), "signed": row.get("signed", "")})
    for n, row in enumerate(data.get("disclosure_choices", {}).get("rows", []), start=1):
        receipts.append({"stem": f"receipts/choice-{n}", "text": _choice_text(row), "signed": row.get("signed", "")})
    return receipts


def _engagement_text(row: dict) -> str:
    service = dict(ServiceEngagement.Service.choices).get(row.get("service"), row.get("service"))
    status = dict(ServiceEngagement.Status.choices).get(row.get("status"), row.get("status"))
    parts = [str(service)]
    if row.get("vacancy"):
        parts.append(_("application for “%(title)s”") % {"title": row["vacancy"]["title"]})
    if row.get("controller"):
        parts.append(_("for %(company)s") % {"company": row["controller"]})
    parts.append(_("state: %(status)s") % {"status": status})
    parts.append(_("opened %(when)s") % {"when": _when(row.get("opened_at"))})
    if row.get("erased_if_no_activity_by"):
        parts.append(_("deleted if nothing happens by %(when)s") % {"when": _when(row["erased_if_no_activity_by"])})
    return " · ".join(parts)


def _sections(body: dict) -> list[dict]:
    shown = {"record", "documents", "engagements", "consents", "disclosure_choices"}
    return [{"title": str(SECTION_TITLES.get(key, key.replace("_", " "))), "about": _about(section),
             "rows": [_fields(row) for row in section.get("rows", [])]}
            for key, section in body.get("data", {}).items() if key not in shown]


def _page(body: dict, files: list[dict], receipts: list[dict]) -> str:
    data = body.get("data", {})
    record = data.get("record", {})
    row = (record.get("rows") or [{}])[0]
    engagements = data.get("engagements", {})
    companies = sorted({r["controller"] for r in engagements.get("rows", []) if r.get("controller")})
    context = {
        "controller_name": settings.CONTROLLER_NAME, "privacy_officer": settings.PRIVACY_OFFICER_EMAIL,
        "generated": _when(body.get("generated_at")),
        "details": _fields(row), "referees": row.get("referees", []), "record_about": _about(record),
        "files": files, "files_about": _about(data.get("documents", {})),
        "engagements": [_engagement_text(r) for r in engagements.get("rows", [])],
        "engagements_about": _about(engagements), "companies": companies,
        "disclosures": data.get("disclosures", {}).get("rows", []),
        "receipts": receipts, "consents_about": _about(data.get("consents", {})),
        "sections": _sections(body), "also_held": body.get("also_held", []),
        "policy_versions": body.get("policy_versions", []),
    }
    return render_to_string("selfservice/export/my-data.html", context)


def export_archive(*, body: dict) -> bytes:
    """The ZIP of one export body, in the active language."""
    body = copy.deepcopy(body)
    files = _files(body)
    receipts = _receipts(body)
    page = _page(body, files, receipts)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("my-data/my-data.html", page)
        archive.writestr("my-data/my-data.json", json.dumps(body, ensure_ascii=False, indent=2))
        for item in files:
            archive.writestr(f"my-data/{item['name']}", item["content"])
        for receipt in receipts:
            archive.writestr(f"my-data/{receipt['stem']}.txt", receipt["text"] + "\n")
            if receipt["signed"]:
                archive.writestr(f"my-data/{receipt['stem']}.jws", receipt["signed"])
    return out.getvalue()
