from pathlib import Path

import pytest

from tests.conftest import ROOT

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
