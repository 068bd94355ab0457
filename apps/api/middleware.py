"""Around every call under /api/v1/: the body limit (413) and media type (415) before anything is parsed, an
error body of the API's one shape for Django's own answers (404, 405), the audit event of the call, and the
failed sign-in limit per address (refused calls counted, the lock audited once)."""

import json
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django_ratelimit.core import get_usage

from .errors import CODE_FOR_STATUS, error_response
from .services import api_address_lock_record, api_call_record

logger = logging.getLogger(__name__)

PREFIX = "/api/v1/"
UNAUDITED = {"/api/v1/openapi.json", "/api/v1/docs"}  # public pages, no token


def _not_stored(response: HttpResponse) -> HttpResponse:
    """An answer about a company's people is never kept by a cache on the way (and, marked so, never compressed:
    docs/compression.md)."""
    response.setdefault("Cache-Control", "no-store")
    return response


class ApiMiddleware:
    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(PREFIX) or request.path in UNAUDITED:
            return self.get_response(request)
        request.api_token = None
        if wait := self._locked_out_for(request):
            # An address past the failed-sign-in limit: answered without an audit event each time, or anyone
            # could grow the append-only log at will; a warning instead, without the address.
            logger.warning("API call refused: the address is over the failed sign-in limit")
            return _not_stored(error_response(request, 429, "rate_limited", Retry_After=str(wait)))
        response = self._refused(request) or self.get_response(request)
        if response.status_code == 401:  # guessing tokens from one address: it is refused for a while
            self._failure_count(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith("application/json"):
            replaced = error_response(request, response.status_code,
                                      CODE_FOR_STATUS.get(response.status_code, "bad_request"))
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):  # a 405 names the methods allowed
                if header in response:
                    replaced[header] = response[header]
            response = replaced
        route = request.resolver_match.route if request.resolver_match else "(no route)"
        try:
            api_call_record(token=request.api_token, endpoint=f"{request.method} /{route}",
                            status=response.status_code, code=getattr(response, "api_code", ""))
        except DatabaseError as exc:  # the answer stands; the database is down or refused the write
            logger.error("API call not audited: %s", type(exc).__name__)
        return _not_stored(response)

    @staticmethod
    def _failure_count(request: HttpRequest) -> None:
        """Count a refused token from this address; the failure that reaches the limit locks it, audited once."""
        usage = get_usage(request, group="api-unauthenticated", key="ip", rate=settings.API_FAILED_AUTH_RATE,
                          increment=True)
        if usage and usage["limit"] and usage["count"] == usage["limit"]:  # one call sees it (a cache counter)
            try:
                api_address_lock_record(rate=settings.API_FAILED_AUTH_RATE, seconds=max(1, usage["time_left"]))
            except DatabaseError as exc:  # the refusal stands
                logger.error("API lock-out not audited: %s", type(exc).__name__)

    @staticmethod
    def _locked_out_for(request: HttpRequest) -> int:
        """Seconds this address must wait (too many 401s this minute), or 0."""
        failures = get_usage(request, group="api-unauthenticated", key="ip", rate=settings.API_FAILED_AUTH_RATE,
                             increment=False)
        return max(1, failures["time_left"]) if failures and failures["count"] >= failures["limit"] else 0

    def _refused(self, request: HttpRequest) -> HttpResponse | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return error_response(request, 400, "bad_request")
        if length > settings.API_MAX_BODY_BYTES:
            response = error_response(request, 413, "body_too_large")
            response["Connection"] = "close"  # the body was not read
            return response
        if length and request.method in {"POST", "PUT", "PATCH"}:
            if request.content_type != "application/json":
                return error_response(request, 415, "unsupported_media_type")
            try:
                json.loads(request.body)
            except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
                return error_response(request, 400, "malformed_json")
        return None
