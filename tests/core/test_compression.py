"""HTML is sent compressed to a browser that accepts gzip, and varies on it; a page behind a private link or
one holding a person's data (Cache-Control: no-store) never is (BREACH: docs/compression.md)."""

import gzip

import pytest

from tests.pages import site_pages

pytestmark = pytest.mark.django_db(transaction=True)

GZIP = {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"}


def test_a_public_page_is_served_gzip_and_varies_on_accept_encoding(client, demo_purposes):
    plain = client.get("/privacy/")
    response = client.get("/privacy/", **GZIP)
    assert response.status_code == 200 and response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    html = gzip.decompress(response.content).decode()
    assert "<h1>" in html and len(response.content) < len(plain.content) / 2
    assert "Content-Encoding" not in plain  # a client that does not ask gets plain HTML
    # The CSRF token on a compressed page is masked afresh each time: nothing stays the same to guess at.
    tokens = {gzip.decompress(client.get("/contact/", **GZIP).content).decode().split(
        'name="csrfmiddlewaretoken" value="')[1].split('"')[0] for _ in range(2)}
    assert len(tokens) == 2


def test_private_pages_are_never_compressed(demo_purposes, mailoutbox):
    pages = site_pages(mailoutbox)
    c = pages.client
    token_pages = [p for p in pages.public if p.startswith(("/me/", "/confirm/", "/privacy/choice/"))
                   and "not-a-token" not in p]
    assert token_pages  # the referee's page, the held form's link, an opt-out link
    for path in pages.private + token_pages:
        response = c.get(path, **GZIP)
        assert "no-store" in response["Cache-Control"], path
        assert not response.has_header("Content-Encoding"), f"{path} was compressed"
    for path in pages.held:
        assert not pages.held_client.get(path, **GZIP).has_header("Content-Encoding")
    # The data page shows the person's values in clear: sent as it is.
    data = c.get(pages.link + "data/", **GZIP)
    assert data.status_code == 200 and b"<h1>" in data.content
