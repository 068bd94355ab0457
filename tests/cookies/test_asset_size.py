"""The banner's own script and stylesheet stay small: at most 3 KB gzipped, together."""

import gzip

from tests.conftest import ROOT

BANNER_ASSETS = [ROOT / "static" / "cookies" / "cookies.js", ROOT / "static" / "cookies" / "cookies.css"]
LIMIT = 3 * 1024


def test_the_banner_script_and_stylesheet_are_at_most_3_kb_gzipped():
    sizes = {path.name: len(gzip.compress(path.read_bytes(), compresslevel=9)) for path in BANNER_ASSETS}
    assert sum(sizes.values()) <= LIMIT, sizes


def test_the_banner_assets_are_the_ones_every_page_loads(client, db):
    body = client.get("/").content.decode()
    assert 'href="/static/cookies/cookies.css"' in body and 'src="/static/cookies/cookies.js"' in body


def test_they_name_no_other_origin():
    for path in BANNER_ASSETS:
        text = path.read_text()
        assert "http://" not in text and "https://" not in text and "//" not in text.replace("// ", "")
