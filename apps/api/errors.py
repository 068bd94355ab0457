"""One error shape for every API answer that is not a success: {"code", "message", "fields"}.

Messages are ours, never the input echoed back: a rejected value may be someone's personal data."""

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext_lazy as _

MESSAGES = {
    "bad_request": _("The request could not be read."),
    "malformed_json": _("The body is not valid JSON."),
    "token_missing": _("Send your API token as 'Authorization: Bearer <token>'."),
    "token_malformed": _("That is not an API token."),
    "token_invalid": _("The API token is not valid."),
    "token_expired": _("The API token has expired. Ask the privacy officer for a new one."),
    "token_revoked": _("The API token was revoked. Ask the privacy officer for a new one."),
    "insufficient_scope": _("The API token does not allow this."),
    "not_found": _("Not found."),
    "method_not_allowed": _("This method is not allowed here."),
    "idempotency_key_reused": _("This Idempotency-Key was used with a different body."),
    "vacancy_closed": _("The vacancy is closed."),
    "engagement_not_open": _("The engagement is not open."),
    "subject_restricted": _("Processing of this person's data is restricted: the service stays open until our "
                            "privacy officer lifts the restriction. Nothing was changed."),
    "reference_ambiguous": _("More than one engagement has this reference: use the engagement id."),
    "body_too_large": _("The body is too large."),
    "unsupported_media_type": _("Send the body as application/json."),
    "validation_failed": _("Some fields are not valid."),
    "transfer_not_allowed": _("Your company processes data outside Kenya and no safeguard for the transfer is "
                              "recorded with us yet: nothing was stored. Ask our privacy officer."),
    "candidate_minor": _("The candidate is younger than the minimum age for applicants: we take no application "
                         "from a child. Nothing was stored."),
    "rate_limited": _("Too many requests with this token. Wait a little and try again."),
    "server_error": _("Something went wrong on our side. Nothing you sent was echoed or logged."),
    "unavailable": _("The service is unavailable for a moment. Try again shortly."),
}
CODE_FOR_STATUS = {400: "bad_request", 401: "token_invalid", 403: "insufficient_scope", 404: "not_found",
                   405: "method_not_allowed", 413: "body_too_large", 415: "unsupported_media_type",
                   422: "validation_failed", 429: "rate_limited", 500: "server_error", 503: "unavailable"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, fields: list[dict] | None = None) -> None:
        super().__init__(code)
        self.status, self.code, self.fields = status, code, fields or []


def error_body(code: str, fields: list[dict] | None = None) -> dict:
    return {"code": code, "message": str(MESSAGES.get(code, MESSAGES["bad_request"])), "fields": fields or []}


def error_response(request: HttpRequest | None, status: int, code: str, fields: list[dict] | None = None,
                   **headers: str) -> JsonResponse:
    response = JsonResponse(error_body(code, fields), status=status)
    response.api_code = code  # read by the audit middleware
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response
