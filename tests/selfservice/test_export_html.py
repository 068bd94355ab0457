"""The page in the export ZIP is valid HTML (0 errors from the Nu Html Checker), in English and Swahili, and
loads nothing: no script, no file from anywhere but the ZIP itself."""

import io
import json
import re
import subprocess
import zipfile

import pytest
from django.utils import translation

from apps.audit.services import Actor
from apps.selfservice.services import data_export_archive
from apps.subjects import services
from tests.factories import PDF_BYTES, EngagementFactory
from tests.pages import vnu_command

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "sw"])
def test_the_export_page_is_valid_html_and_self_contained(language, tmp_path):
    subject = EngagementFactory().subject
    services.document_add(subject=subject, actor=Actor.system("test"), data=PDF_BYTES)
    with translation.override(language):
        archive = zipfile.ZipFile(io.BytesIO(data_export_archive(subject=subject)))
    page = archive.read("my-data/my-data.html").decode()
    assert f'<html lang="{language}">' in page
    assert "<script" not in page and " src=" not in page and "<link" not in page  # it loads nothing
    for href in re.findall(r'href="([^"#:]+)"', page):  # every relative link is a file in the ZIP
        assert f"my-data/{href}" in archive.namelist(), href
    path = tmp_path / "my-data.html"
    path.write_text(page)
    result = subprocess.run([*vnu_command(), "--format", "json", "--exit-zero-always", "--stdout", str(path)],
                            capture_output=True, text=True, timeout=120, check=True)
    errors = [m for m in json.loads(result.stdout)["messages"] if m["type"] == "error"]
    assert errors == []
