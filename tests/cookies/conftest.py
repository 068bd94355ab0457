"""Fixtures for the cookie tests: the seeded catalogue and browser pages of our own making."""

import io
from collections.abc import Callable, Iterator

import pytest

from apps.cookies.models import CookieCategory
from apps.cookies.seed import seed_demo


@pytest.fixture
def catalogue() -> dict[str, CookieCategory]:
    """The demo catalogue: necessary, preferences, analytics, marketing and their declarations.

    Needs database access from the test (a django_db mark, or a live-server page).
    """
    seed_demo(io.StringIO())
    return {c.slug: c for c in CookieCategory.objects.all()}


class SetCookieLog:
    """Every Set-Cookie header of every response the page received."""

    def __init__(self) -> None:
        self.headers: list[str] = []

    def record(self, response) -> None:
        self.headers.extend(h["value"] for h in response.headers_array() if h["name"].lower() == "set-cookie")

    @property
    def set_names(self) -> set[str]:
        """Names of cookies set (not deleted) by any response."""
        names = set()
        for header in self.headers:
            attrs = header.lower()
            if "max-age=0" in attrs or "expires=thu, 01 jan 1970" in attrs:
                continue
            names.add(header.split("=", 1)[0].strip())
        return names

    @property
    def deleted_names(self) -> set[str]:
        return {h.split("=", 1)[0].strip() for h in self.headers if "max-age=0" in h.lower()}


def _instrument(page, origin: str) -> None:
    page.console_errors = []
    page.foreign_requests = []
    page.requested = []
    page.set_cookies = SetCookieLog()
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    page.on("request", lambda r: page.requested.append(r.url))
    page.on("request", lambda r: r.url.startswith(origin) or r.url.startswith("data:")
            or page.foreign_requests.append(r.url))
    page.on("response", page.set_cookies.record)


@pytest.fixture
def new_page(_browser, live_server) -> Iterator[Callable]:
    """Make a page in a fresh context with these options (extra_http_headers, java_script_enabled, ...).

    Like the shared `page` fixture it collects console errors and requests to other origins; it
    also keeps every URL requested and every Set-Cookie header received.
    """
    contexts = []

    def make(**options):
        context = _browser.new_context(base_url=live_server.url, **options)
        contexts.append(context)
        page = context.new_page()
        _instrument(page, live_server.url)
        return page

    yield make
    for context in contexts:
        context.close()
