"""The controller API (django-ninja): /api/v1/…, its OpenAPI schema and its docs page (served from our own
static files, so it works under the site's CSP). Endpoints parse, check access, call one service, answer."""

import logging
import uuid

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django_ratelimit.core import is_ratelimited
from ninja import Header, NinjaAPI, Status, Swagger
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer

from . import selectors, services
from .errors import CODE_FOR_STATUS, ApiError, error_response
from .models import ApiToken, Scope
from .schemas import (
    CandidateIn,
    CandidateOut,
    CandidateStatusOut,
    CompletedOut,
    ErasureOut,
    ErrorOut,
    VacancyClosedOut,
    VacancyOut,
    engagement_out,
    vacancy_out,
)

logger = logging.getLogger(__name__)

ERRORS = frozenset({400, 401, 403, 404, 409, 413, 415, 422, 429})
# pydantic's messages can quote the input (a UUID parse error names the bad character): ours never do.
FIELD_MESSAGES = {
    "missing": _("This field is required."),
    "string_too_long": _("This value is too long."),
    "string_too_short": _("This value is too short."),
    "too_long": _("Too many items."),
    "too_short": _("Too few items."),
    "string_pattern_mismatch": _("This value has characters that are not allowed."),
    "literal_error": _("This is not one of the allowed values."),
    "uuid_parsing": _("Enter a valid id."),
    "uuid_type": _("Enter a valid id."),
    "datetime_parsing": _("Enter a date and time in ISO 8601 format, with a time zone."),
    "datetime_from_date_parsing": _("Enter a date and time in ISO 8601 format, with a time zone."),
    "timezone_aware": _("Enter a date and time in ISO 8601 format, with a time zone."),
    "string_type": _("Enter text."),
    "list_type": _("Enter a list."),
    "model_attributes_type": _("Enter an object."),
    "dict_type": _("Enter an object."),
}


class TokenAuth(HttpBearer):
    """`Authorization: Bearer pp_<prefix>_<secret>`; then the per-token rate limit, counted in Redis."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        try:
            api_token = services.token_authenticate(presented=token)
        except services.TokenRejected as rejected:
            raise ApiError(401, rejected.code) from None
        request.api_token = api_token
        if is_ratelimited(request, group="api-token", key=lambda group, req: api_token.prefix,
                          rate=settings.API_RATE, increment=True):
            raise ApiError(429, "rate_limited")
        return api_token


api = NinjaAPI(
    title="Privacy Portal controller API", version="1",
    description=(
        "For client companies (controllers): hand over candidates with the consent you hold, follow their "
        "status (never their data), complete the service, which erases them, and fetch the signed deletion "
        "certificate. Every call is audited. Errors have one shape: {code, message, fields}."),
    urls_namespace="api-v1", auth=TokenAuth(), openapi_url="/openapi.json", docs_url="/docs",
    # Our own copy of Swagger UI (django-ninja's static files), no validator badge from another origin.
    docs=Swagger(settings={"validatorUrl": None, "persistAuthorization": False, "tryItOutEnabled": False,
                          "deepLinking": False}),
)


def _need(request: HttpRequest, scope: str) -> ApiToken:
    token: ApiToken = request.auth
    if scope not in token.scopes:
        raise ApiError(403, "insufficient_scope")
    return token


# --- errors: one shape, no input echoed ------------------------------------------------------------
@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    headers = {"WWW_Authenticate": 'Bearer realm="api"'} if exc.status == 401 else {}
    if exc.status == 429:
        headers["Retry_After"] = "60"
    return error_response(request, exc.status, exc.code, exc.fields, **headers)


@api.exception_handler(AuthenticationError)
def _no_token(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, 401, "token_missing", WWW_Authenticate='Bearer realm="api"')


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = []
    for error in exc.errors:
        location = [str(part) for part in error.get("loc", ())]
        if location and location[0] in {"body", "path", "query", "header"}:
            location = location[1:]
        if location and location[0] == "payload":
            location = location[1:]
        message = FIELD_MESSAGES.get(error.get("type", ""), _("This value is not valid."))
        fields.append({"field": ".".join(location) or "body", "message": str(message)})
    return error_response(request, 422, "validation_failed", fields)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    code = "malformed_json" if exc.status_code == 400 else CODE_FOR_STATUS.get(exc.status_code, "bad_request")
    return error_response(request, exc.status_code, code)


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found")


@api.exception_handler(Exception)
def _fault(request: HttpRequest, exc: Exception) -> HttpResponse:
    if isinstance(exc, OperationalError | InterfaceError):  # the database is down: try again, nothing was done
        logger.warning("API: database unavailable (%s)", type(exc).__name__)
        return error_response(request, 503, "unavailable", Retry_After="5")
    # The exception's type only: its message could hold a value.
    logger.error("API fault: %s at %s", type(exc).__name__, request.resolver_match.route
                 if request.resolver_match else "?")
    return error_response(request, 500, "server_error")


def _not_found_unless(found):
    if not found:
        raise ApiError(404, "not_found")
    return found


# --- endpoints -------------------------------------------------------------------------------------
@api.get("/vacancies", response={200: list[VacancyOut], ERRORS: ErrorOut}, tags=["vacancies"],
         summary="Your vacancies", description=f"Scope `{Scope.VACANCIES_READ}`.")
def vacancies(request: HttpRequest):
    token = _need(request, Scope.VACANCIES_READ)
    return [vacancy_out(v) for v in selectors.vacancies_of(controller=token.controller)]


IDEMPOTENCY_KEY = Header(None, alias="Idempotency-Key", max_length=100, pattern=r"^[\x21-\x7e]+$",
                         description="Any unique string of yours (e.g. a UUID). A repeat with the same key and body "
                                     "returns the first answer and creates nothing; another body is 409.")


@api.post("/candidates", response={201: CandidateOut, ERRORS: ErrorOut}, tags=["candidates"],
          summary="Hand over a candidate for one of your vacancies",
          description=f"Scope `{Scope.CANDIDATES_WRITE}`. The person's personal and professional details (validated "
                      "as on our application form) and the consent you hold from them (which purposes, when and "
                      "how you obtained it). We create the person, or find them by their email address, open their "
                      "application, record consent receipts naming you as the source, and email (and text) them "
                      "that we hold their data, that we got it from you, and how to see, correct or delete it.")
def candidate_hand_over(request: HttpRequest, payload: CandidateIn, idempotency_key: str | None = IDEMPOTENCY_KEY):
    token = _need(request, Scope.CANDIDATES_WRITE)
    answer = services.candidate_hand_over(controller=token.controller, payload=payload.model_dump(mode="json"),
                                          idempotency_key=idempotency_key or "")
    response = api.create_response(request, answer.body, status=answer.status)
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return response


@api.post("/vacancies/{id}/close", response={202: VacancyClosedOut, ERRORS: ErrorOut}, tags=["vacancies"],
          summary="Close a vacancy (erases its applicants)",
          description=f"Scope `{Scope.ENGAGEMENTS_COMPLETE}`. Every open application to it is completed; each "
                      "applicant for whom it was the last open service is erased. Closing a closed vacancy again "
                      "completes anything a failed close left open.")
def vacancy_close(request: HttpRequest, id: uuid.UUID):  # noqa: A002 (the path's name in the schema)
    token = _need(request, Scope.ENGAGEMENTS_COMPLETE)
    vacancy = _not_found_unless(selectors.vacancy_of(controller=token.controller, vacancy_id=id))
    vacancy, completed, jobs = services.vacancy_close_by_controller(vacancy=vacancy, controller=token.controller)
    return Status(202, {"vacancy": vacancy_out(vacancy), "engagements_completed": completed,
                        "erasure_jobs": _theirs(token, jobs)})


@api.get("/candidates/{public_id}", response={200: CandidateStatusOut, ERRORS: ErrorOut}, tags=["candidates"],
         summary="A candidate's status",
         description=f"Scope `{Scope.CANDIDATES_READ_STATUS}`. Status only, and their engagements with you: "
                     "`active` while one of yours is open; then, for a candidate you handed over, `erased` once "
                     "their data is erased; for a person who applied to your job on our website, `ended` (their "
                     "record is their own: its state is not yours to see). No personal value ever comes back.")
def candidate_status(request: HttpRequest, public_id: uuid.UUID):
    token = _need(request, Scope.CANDIDATES_READ_STATUS)
    subject, engagements = _not_found_unless(selectors.candidate_of(controller=token.controller,
                                                                     public_id=public_id))
    status = selectors.candidate_status(subject=subject, engagements=engagements, controller=token.controller)
    return {"public_id": subject.pk, "status": status, "erased_at": subject.erased_at if status == "erased" else None,
            "engagements": [engagement_out(e) for e in engagements]}


@api.post("/engagements/{reference}/complete", response={202: CompletedOut, ERRORS: ErrorOut},
          tags=["engagements"], summary="Complete a service (erases the person)",
          description=f"Scope `{Scope.ENGAGEMENTS_COMPLETE}`. `reference` is the engagement id we returned, or "
                      "your own reference if only one of your engagements has it. If it was the person's last "
                      "open service, their erasure is queued: poll the erasure job for the certificate.")
def engagement_complete(request: HttpRequest, reference: str):
    token = _need(request, Scope.ENGAGEMENTS_COMPLETE)
    matching = _not_found_unless(selectors.engagements_matching(controller=token.controller, reference=reference))
    if len(matching) > 1:
        raise ApiError(409, "reference_ambiguous")
    engagement = matching[0]
    if not engagement.is_open:
        raise ApiError(409, "engagement_not_open")
    jobs = services.engagement_complete_by_controller(engagement=engagement, controller=token.controller)
    engagement.refresh_from_db()
    return Status(202, {"engagement": engagement_out(engagement), "erasure_jobs": _theirs(token, jobs)})


def _theirs(token: ApiToken, jobs: list) -> list[uuid.UUID]:
    """The erasure jobs a client company may follow: of people whose records were held for it."""
    held = selectors.held_for(controller=token.controller, subject_ids=[job.subject_id for job in jobs])
    return [job.pk for job in jobs if job.subject_id in held]


@api.get("/erasures/{job_id}", response={200: ErasureOut, ERRORS: ErrorOut}, tags=["erasures"],
         summary="An erasure and its deletion certificate",
         description=f"Scope `{Scope.CANDIDATES_READ_STATUS}` or `{Scope.ENGAGEMENTS_COMPLETE}`. Once done, the "
                     "signed deletion certificate (JWS): the person's pseudonymous id, what was erased, why "
                     "and when. No personal data.")
def erasure(request: HttpRequest, job_id: uuid.UUID):
    token: ApiToken = request.auth
    if not {Scope.CANDIDATES_READ_STATUS, Scope.ENGAGEMENTS_COMPLETE} & set(token.scopes):
        raise ApiError(403, "insufficient_scope")
    job = _not_found_unless(selectors.erasure_of(controller=token.controller, job_id=job_id))
    certificate = selectors.certificate_of(job=job)
    return {"id": job.pk, "state": job.state, "reason": job.reason, "requested_at": job.created_at,
            "finished_at": job.finished_at, "held": job.held,
            "certificate": {"id": certificate.pk, "subject_id": certificate.subject_id, "reason": certificate.reason,
                            "categories": certificate.categories, "counts": certificate.counts,
                            "key_destroyed_at": certificate.key_destroyed_at,
                            "completed_at": certificate.completed_at, "signed": certificate.signed}
            if certificate else None}
