"""A database that does not answer is a clear 503, not a 500 that says nothing true; public pages compressed,
private ones never."""

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.gzip import GZipMiddleware
from django.template.loader import render_to_string

logger = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Answers 503 (with Retry-After) when a view fails because the database cannot be reached.

    The page is rendered without the database (no banner, no session), since it is down."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("database unavailable (%s) on %s %s", type(exception).__name__, request.method,
                     request.path if not request.path.startswith("/me/") else "/me/[token]/")
        response = HttpResponse(render_to_string("core/unavailable.html"), status=503)
        response["Retry-After"] = "60"
        response["Cache-Control"] = "no-store"
        return response


class PublicGZipMiddleware(GZipMiddleware):
    """Compress what any visitor may see (docs/compression.md). A response marked `Cache-Control: no-store`
    (every page that can show personal data or carries a private link's token: /me/…, the form held for its
    code, /confirm/…, /privacy/choice/…, the admin) is sent as it is, so BREACH has nothing to measure there.
    What is compressed keeps Django's own mitigations: the CSRF token masked afresh in each response and up to
    100 random bytes in the gzip header."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if "no-store" in response.get("Cache-Control", ""):
            return response
        return super().process_response(request, response)
