from io import StringIO
from pathlib import Path

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from modeltranslation.translator import translator

from apps.cookies.models import CookieCategory, CookieDeclaration
from apps.cookies.seed import seed_demo as seed_cookies
from apps.subjects.models import Vacancy
from tests.conftest import ROOT
from tests.consent.helpers import send_form

PO = ROOT / "locale" / "sw" / "LC_MESSAGES" / "django.po"


def _entries(text: str) -> list[tuple[str, str, str]]:
    """(flags, msgid, msgstr) of each entry; plural entries report msgstr[0]."""
    entries = []
    for block in text.split("\n\n"):
        flags, msgid, msgstr, current = "", "", "", None
        for line in block.splitlines():
            if line.startswith("#,"):
                flags = line
            elif line.startswith("msgid "):
                current, msgid = "id", line[6:].strip('"')
            elif line.startswith(("msgstr ", "msgstr[0] ")):
                current, msgstr = "str", line.split(" ", 1)[1].strip('"')
            elif line.startswith(("msgid_plural", "msgstr[")):
                current = None
            elif line.startswith('"') and current:
                if current == "id":
                    msgid += line.strip('"')
                else:
                    msgstr += line.strip('"')
        if msgid:
            entries.append((flags, msgid, msgstr))
    return entries


@pytest.mark.parametrize("path", [PO])
def test_every_string_has_a_swahili_translation(path: Path):
    entries = _entries(path.read_text())
    assert len(entries) > 300
    untranslated = [msgid for _, msgid, msgstr in entries if not msgstr]
    fuzzy = [msgid for flags, msgid, _ in entries if "fuzzy" in flags]
    assert untranslated == [] and fuzzy == []


# --- database texts visitors read ------------------------------------------------------------
@pytest.mark.django_db
def test_every_seeded_text_a_visitor_reads_has_swahili(demo_purposes):
    """Purposes, policy and cookie texts have a Swahili column (django-modeltranslation), filled for seeded rows."""
    seed_cookies(StringIO())
    registered = set(translator.get_registered_models())
    assert {CookieCategory, CookieDeclaration} <= registered
    missing = []
    for model in translator.get_registered_models():
        fields = translator.get_options_for_model(model).fields
        for row in model.objects.all():
            missing += [f"{model._meta.label} {row.pk} {name}" for name in fields
                        if getattr(row, f"{name}_en", None) and not getattr(row, f"{name}_sw", None)]
    assert missing == []

    # A copy of the English is not a translation.
    copied = [f"{c.slug} {name}" for c in CookieCategory.objects.all() for name in ("name", "description")
              if getattr(c, f"{name}_sw") == getattr(c, f"{name}_en")]
    copied += [f"{d.name} {name}" for d in CookieDeclaration.objects.all()
               for name in ("provider", "purpose", "duration") if getattr(d, f"{name}_sw") == getattr(d, f"{name}_en")]
    assert copied == []
    assert CookieCategory.objects.count() >= 4 and CookieDeclaration.objects.count() >= 6
    with translation.override("sw"):
        assert CookieCategory.objects.get(slug="analytics").name == "Takwimu"


@pytest.mark.django_db
def test_every_seeded_vacancy_has_swahili(demo_purposes):
    vacancies = list(Vacancy.objects.all())
    assert len(vacancies) >= 2
    missing = [(str(v.pk), name) for v in vacancies for name in ("title", "description", "location")
               if not getattr(v, f"{name}_sw")]
    # A copy of the English is not a translation (a place name may be the same in both).
    copied = [(str(v.pk), name) for v in vacancies for name in ("title", "description")
              if getattr(v, f"{name}_sw") == getattr(v, f"{name}_en")]
    assert missing == [] and copied == []
    with translation.override("sw"):
        assert {v.title for v in Vacancy.objects.all()} == {v.title_sw for v in vacancies}


@pytest.mark.django_db
def test_the_swahili_form_names_id_types_and_phone_errors_in_swahili(demo_purposes, client):
    client.cookies["django_language"] = "sw"
    assert "Kitambulisho cha taifa" in client.get("/apply/").content.decode()
    page = send_form(client, "/apply/", {"mobile": "12", "full_name": "Amani"}).content.decode()
    assert "Weka nambari sahihi ya simu" in page and "Enter a valid phone number" not in page


def test_the_server_error_page_speaks_the_visitors_language(rf):
    with translation.override("sw"):
        page = render_to_string("500.html")
    assert '<html lang="sw">' in page and "Kuna tatizo upande wetu" in page
