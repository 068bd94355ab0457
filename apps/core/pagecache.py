"""Public pages rendered once per language and content version, with each visitor's own values put in per request.

A page that is the same for every visitor in a language, but for a few values of their own (the CSRF token,
the path the language switch returns to, a form's idempotency key), is rendered with marks in place of those
values. The marked HTML is kept in this process, keyed by everything else the page shows: the language, the
versions of the content it reads (apps.core.cache: bumped by the services that change it, so a staff change
shows on the next request), the view's own key parts, the year in the footer, and each variant in
PAGE_CACHE_VARIANTS (the visitor's cookie choice: the banner, the switches, our script's settings). Every
response, cached or not, is the marked HTML with this request's values put in (`fill`), so the path that is
tested is the path that is served.

Never cached: a response that is not a 200, one the view marks `page_uncacheable`, a request with messages
waiting (they belong to one visitor), and anything under DEBUG (edited templates show at once). Only the body
is kept: a view must not set headers on a page it renders through cached_page. Pages that show a person's
data (private links, the done page) never go through here.

The marked pages live in this process only (not in Redis): a deployment's static file names and templates
are in the HTML, and a process renders each page once per version, which is cheap.
"""

import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.test import RequestFactory
from django.utils import timezone
from django.utils.html import escape
from django.utils.module_loading import import_string
from django.utils.translation import get_language

from .cache import CONTENT_TTL, content_versions

logger = logging.getLogger(__name__)

MARK_PREFIX = "pp-mark-"
_MARK_RE = re.compile(r"pp-mark-[a-z-]+-[0-9a-f]{8}")


def page_mark(name: str) -> str:
    """A mark for one per-request value (lowercase letters and dashes in `name`). Stable across processes."""
    return f"{MARK_PREFIX}{name}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


CSRF_MARK = page_mark("csrf")  # {% csrf_token %} and anything reading context["csrf_token"]
PATH_MARK = page_mark("path")  # context["current_path"]: the path and query the visitor asked for
# Set in the context of a page rendered for the cache: template tags that would put in a visitor's own value
# (apps.cookies' banner) leave the mark instead.
PAGE_MARKED = "page_marked"


def marked_context() -> dict[str, Any]:
    return {"csrf_token": CSRF_MARK, "current_path": PATH_MARK, PAGE_MARKED: True}


def fill(html: str, request: HttpRequest, marks: dict[str, Callable[[HttpRequest], str]] | None = None) -> str:
    """The page with this request's own values in place of the marks (each value escaped for HTML)."""
    return _fill_pieces(_MARK_RE.split(html), _MARK_RE.findall(html), request, marks)


def _fill_pieces(texts: list[str], found: list[str], request: HttpRequest,
                 marks: dict[str, Callable[[HttpRequest], str]] | None) -> str:
    """`texts` and `found`: the page cut at its marks (len(texts) == len(found) + 1)."""
    values: dict[str, str] = {}
    out = [texts[0]]
    for mark, text in zip(found, texts[1:], strict=True):
        value = values.get(mark)
        if value is None:
            if mark == CSRF_MARK:
                value = escape(get_token(request))  # and the CSRF middleware sets the cookie
            elif mark == PATH_MARK:
                value = escape(request.get_full_path())
            elif marks and mark in marks:
                value = escape(marks[mark](request))
            else:
                value = mark
            values[mark] = value
        out.append(value)
        out.append(text)
    return "".join(out)


@cache
def _variants() -> tuple[Callable[[HttpRequest], tuple], ...]:
    return tuple(import_string(path) for path in getattr(settings, "PAGE_CACHE_VARIANTS", ()))


def _variant_content() -> tuple[str, ...]:
    return tuple(name for variant in _variants() for name in getattr(variant, "content", ()))


# key -> (expires at, the marked page cut at its marks, its marks); least recently used first.
_pages: OrderedDict[str, tuple[float, list[str], list[str]]] = OrderedDict()
_lock = threading.Lock()  # a threaded server (runserver, gthread) shares the dict between requests
PAGES_MAX = 512


def page_cacheable(request: HttpRequest) -> bool:
    """Whether this request may be answered from (and fill) the shared copy of a page."""
    if settings.DEBUG or request.method not in ("GET", "HEAD"):
        return False
    # Messages are one visitor's (a session or a cookie): counted without being marked as read.
    return len(get_messages(request)) == 0


def cached_page(request: HttpRequest, *, name: str, depends: tuple[str, ...], parts: tuple = (),
                render: Callable[[dict[str, Any]], HttpResponse],
                marks: dict[str, Callable[[HttpRequest], str]] | None = None) -> HttpResponse:
    """The page `render(context)` makes, where `context` (to be merged into the template context) holds the
    marks; the result is kept under the key described above and filled for this request.

    `depends`: the content names (apps.core.cache) whose versions the page shows. `parts`: whatever else the
    view chose the page by (a vacancy's id, the policy in force). `marks`: the view's own per-request values,
    page_mark() -> a function of the request (its value is escaped when put in)."""
    if not page_cacheable(request):
        return _filled(_render(request, render)[0], request, marks)
    versions = content_versions(*depends, *_variant_content())
    key = ":".join(str(p) for p in (
        name, get_language(), timezone.localdate().year, *versions.values(), *parts,
        *(part for variant in _variants() for part in variant(request))))
    now = time.monotonic()
    with _lock:
        held = _pages.get(key)
        if held is not None and held[0] > now:
            _pages.move_to_end(key)
    if held is None or held[0] <= now:
        response, cacheable = _render(request, render)
        if not cacheable:
            return _filled(response, request, marks)
        html = response.content.decode()
        # Kept cut at its marks, so that filling it is a join.
        held = (now + CONTENT_TTL, _MARK_RE.split(html), _MARK_RE.findall(html))
        with _lock:
            _pages[key] = held
            while len(_pages) > PAGES_MAX:
                _pages.popitem(last=False)
    return HttpResponse(_fill_pieces(held[1], held[2], request, marks))


def _render(request: HttpRequest, render: Callable[[dict[str, Any]], HttpResponse]) -> tuple[HttpResponse, bool]:
    # A page that asked for the visitor's real CSRF token while it rendered (a tag or template not written for
    # the page cache) holds that token: it is served to this visitor only, never kept.
    flagged = request.META.get(_CSRF_USED)
    request.META[_CSRF_USED] = False
    try:
        response = render(marked_context())
    finally:
        token_used = bool(request.META.get(_CSRF_USED))
        request.META[_CSRF_USED] = bool(flagged) or token_used
    if token_used:
        logger.warning("page %s rendered this visitor's CSRF token: not cached", request.path)
    return response, not (response.status_code != 200 or getattr(response, "page_uncacheable", False)
                          or response.streaming or token_used)


_CSRF_USED = "CSRF_COOKIE_NEEDS_UPDATE"  # set by django.middleware.csrf.get_token


def _filled(response: HttpResponse, request: HttpRequest,
            marks: dict[str, Callable[[HttpRequest], str]] | None) -> HttpResponse:
    if not response.streaming:
        response.content = fill(response.content.decode(), request, marks).encode()
    return response


def pages_forget() -> None:
    """Drop every page this process holds (tests)."""
    with _lock:
        _pages.clear()


# The public pages a first-time visitor opens: a new web process renders them (in each language) before it
# takes its first request, so recycling a worker never serves a burst of cold pages.
WARM_PATHS = ("/", "/apply/", "/contact/", "/jobs/", "/privacy/", "/cookies/")


def pages_warm(*, paths: tuple[str, ...] = WARM_PATHS) -> int:
    """Render `paths` in every language through the whole stack (middleware included), as a visitor with no
    cookies over https would, so that their marked pages are held in this process. Returns the pages answered
    200; a page that fails is logged and left for its first visitor."""
    host = urlsplit(settings.SITE_URL).netloc or "localhost"
    handler, factory, warmed = WSGIHandler(), RequestFactory(), 0

    def start_response(status: str, headers: list, exc_info: Any = None) -> None:
        nonlocal warmed
        warmed += status.startswith("200")

    # One database connection for the whole warm-up (kept for the first visitor), not one per page.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        for path in paths:
            for language, _name in settings.LANGUAGES:
                environ = factory.get(path, secure=True, HTTP_HOST=host, HTTP_ACCEPT_LANGUAGE=language,
                                      REMOTE_ADDR="127.0.0.1").environ
                try:
                    handler(environ, start_response).close()
                except Exception as exc:  # the database may be away: its first visitor renders it
                    logger.warning("page cache: %s not warmed (%s)", path, type(exc).__name__)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    logger.info("page cache: %s pages warmed", warmed)
    return warmed
