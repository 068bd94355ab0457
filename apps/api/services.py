"""Client companies and their API tokens, and what their API calls do. Every change is audited here."""

import hashlib
import hmac
import json
import logging
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from apps.audit.services import Actor, Entry, Verb, audit_record, audit_records, audited_transaction
from apps.core.cache import content_bump
from apps.recruitment.handover import HandOverRefused, candidate_receive
from apps.subjects import services as subject_services
from apps.subjects.models import Controller, ErasureJob, ServiceEngagement, SubjectRestricted, Vacancy
from apps.subjects.selectors import VACANCIES
from apps.subjects.services.vacancies import vacancy_close

from .errors import ApiError
from .models import ApiToken, IdempotencyKey, Scope
from .schemas import engagement_out

logger = logging.getLogger(__name__)
TOKEN_PATTERN = re.compile(r"pp_(?P<prefix>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})")


class TokenRejected(Exception):
    """The presented token cannot be used. `code` says why (never the token itself)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- client companies and tokens (the privacy officer, in the admin) ---------------------------------------
@audited_transaction()
def controller_save(*, controller: Controller, actor: Actor, changed: list[str]) -> Controller:
    created = controller._state.adding
    controller.full_clean()
    controller.save()
    audit_record(actor=actor, verb=Verb.CONTROLLER_SAVED, target=controller.pk,
                 detail={"created": created, "fields": sorted(changed)})
    if {"country", "transfer_safeguard"} & set(changed):  # where it processes data and under which safeguard
        audit_record(actor=actor, verb=Verb.RECIPIENT_TRANSFER_CHANGED, target=controller.pk,
                     detail={"controller": str(controller.pk), "country": controller.country,
                             "safeguard": controller.transfer_safeguard})
    content_bump(VACANCIES)  # job lists name the client company
    return controller


@audited_transaction()
def token_create(*, controller: Controller, name: str, scopes: list[str], expires_at: datetime,
                 actor: Actor) -> tuple[ApiToken, str]:
    """Make a token. Returns it and its secret, which is shown once and never stored (only its SHA-256)."""
    unknown = set(scopes) - set(Scope.values)
    if unknown or not scopes:
        raise ValueError(f"scopes must be some of {sorted(Scope.values)}")
    if expires_at <= timezone.now():
        raise ValueError("the expiry must be in the future")
    prefix = secrets.token_hex(6)
    presented = f"pp_{prefix}_{secrets.token_urlsafe(32)}"  # 256 random bits
    token = ApiToken(controller=controller, name=name, prefix=prefix, secret_sha256=_digest(presented),
                     scopes=sorted(set(scopes)), expires_at=expires_at, created_by=actor.id)
    token.full_clean()
    token.save()
    audit_record(actor=actor, verb=Verb.API_TOKEN_CREATED, target=controller.pk,
                 detail={"token": prefix, "scopes": token.scopes, "expires_at": expires_at.isoformat()})
    return token, presented


@audited_transaction()
def tokens_revoke(*, token_ids: list, actor: Actor) -> int:
    """Revoke tokens at once; a revoked token is refused from its next call. Returns how many were live."""
    revoking = list(ApiToken.objects.select_for_update().filter(pk__in=token_ids, revoked_at__isnull=True)
                    .values_list("pk", "prefix", "controller_id"))
    ApiToken.objects.filter(pk__in=[pk for pk, _, _ in revoking]).update(revoked_at=timezone.now())
    audit_records(entries=[Entry(actor, Verb.API_TOKEN_REVOKED, controller_id, {"token": prefix})
                           for _, prefix, controller_id in revoking])
    return len(revoking)


def token_authenticate(*, presented: str) -> ApiToken:
    """The live token presented (as `Authorization: Bearer pp_…`), or TokenRejected saying why."""
    match = TOKEN_PATTERN.fullmatch(presented or "")
    if not match:
        raise TokenRejected("token_malformed")
    token = ApiToken.objects.select_related("controller").filter(prefix=match["prefix"]).first()
    # Compared in constant time; an unknown prefix costs the same digest.
    expected = token.secret_sha256 if token else "0" * 64
    if not hmac.compare_digest(_digest(presented), expected) or token is None:
        raise TokenRejected("token_invalid")
    if token.revoked_at is not None:
        raise TokenRejected("token_revoked")
    now = timezone.now()
    if token.expires_at <= now:
        raise TokenRejected("token_expired")
    # At most one write a minute per token for "last used".
    if token.last_used_at is None or token.last_used_at < now - timedelta(seconds=60):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def api_call_record(*, token: ApiToken | None, endpoint: str, status: int, code: str = "") -> None:
    """Every call with a valid token is in the audit log: which client company (and token), which endpoint,
    what answer. Never a body, a query value or a token secret.

    A call without a valid token (missing, wrong, expired, or refused before its token was read) is
    counted, not audited: anyone can send one, and one event each would let anyone grow the append-only
    log at will. The count is logged at most once a minute, without addresses or tokens."""
    if token is None:
        _unauthenticated_count(endpoint=endpoint, status=status, code=code)
        return
    detail = {"endpoint": endpoint, "status": status, "token": token.prefix}
    if code:
        detail["code"] = code
    with audited_transaction():
        audit_record(actor=Actor.controller(token.controller), verb=Verb.API_CALLED, target=token.controller_id,
                     detail=detail)


def api_address_lock_record(*, rate: str, seconds: int) -> None:
    """An address has just reached the failed sign-in limit (API_FAILED_AUTH_RATE): audited once per lock.
    The calls it then makes are refused and only counted; the address itself is never written down."""
    with audited_transaction():
        audit_record(actor=Actor.system("api"), verb=Verb.API_ADDRESS_LOCKED, target="",
                     detail={"rate": rate, "seconds": seconds})


UNAUTHENTICATED_WINDOW = 60  # seconds: one log line at most per window


def _unauthenticated_count(*, endpoint: str, status: int, code: str) -> int:
    """Count a call without a valid token in this minute's counter (the cache); the first of each minute
    logs how many the minute before had. Returns this minute's count."""
    window = int(time.time()) // UNAUTHENTICATED_WINDOW
    key = f"api:unauthenticated:{window}"
    cache.add(key, 0, timeout=3 * UNAUTHENTICATED_WINDOW)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, count := 1, timeout=3 * UNAUTHENTICATED_WINDOW)
    if count == 1:
        before = cache.get(f"api:unauthenticated:{window - 1}", 0)
        logger.warning("API calls without a valid token: %d in the minute before; now %s answered %s %s",
                       before, endpoint, status, code or "")
    return count


# --- services of the API --------------------------------------------------------------------------------
def engagement_complete_by_controller(*, engagement: ServiceEngagement, controller: Controller) -> list[ErasureJob]:
    """The client company says the service is complete: it ends, and the person's erasure is queued if it
    was their last open service. Returns the erasure jobs written (none while another service is open)."""
    try:
        job = subject_services.engagement_complete(engagement=engagement, actor=Actor.controller(controller))
    except SubjectRestricted:
        raise ApiError(409, "subject_restricted") from None  # it would stay open: say so rather than answer 202
    return [job] if job else []


def idempotency_keys_expire(*, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - timedelta(days=settings.API_IDEMPOTENCY_DAYS)
    return IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()[0]


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
    replayed: bool = False


def _request_digest(payload: dict) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@contextmanager
def _key_held(controller: Controller, key: str) -> Iterator[None]:
    """Two requests with one Idempotency-Key run one after the other (PostgreSQL advisory lock, held across
    the hand-over's own transactions); the second then finds the first's answer."""
    if not key or connection.vendor != "postgresql":
        yield
        return
    name = f"api-idempotency|{controller.pk}|{key}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [name])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [name])


HAND_OVER_STATUS = {"not_found": 404, "vacancy_closed": 409, "validation_failed": 422, "candidate_minor": 422,
                    "transfer_not_allowed": 409}


def candidate_hand_over(*, controller: Controller, payload: dict, idempotency_key: str = "") -> Answer:
    """A client company hands over a candidate (apps.recruitment.handover: a record held for this company alone).
    With an Idempotency-Key the same body is answered once and replayed; another body under the same key is
    refused (409)."""
    digest = _request_digest(payload)
    with _key_held(controller, idempotency_key):
        if idempotency_key:
            first = IdempotencyKey.objects.filter(controller=controller, key=idempotency_key).first()
            if first is not None:
                if first.request_sha256 != digest:
                    raise ApiError(409, "idempotency_key_reused")
                return Answer(first.status_code, first.response, replayed=True)
        # The intake's own key: derived from the Idempotency-Key and the body, so a retry after a crash between
        # the hand-over and the answer being kept finds the same submission, and the same key used again for
        # another candidate once its answer has expired (API_IDEMPOTENCY_DAYS) is a new hand-over, never the
        # earlier person (submissions are kept longer than keys).
        key = (uuid.uuid5(uuid.NAMESPACE_URL, f"privacy-portal:api:{controller.pk}:{idempotency_key}:{digest}")
               if idempotency_key else uuid.uuid4())
        try:
            subject, engagement = candidate_receive(
                controller=controller, vacancy_id=payload["vacancy"], person=payload["person"],
                consent=payload["consent"], language=payload.get("language") or "",
                reference=payload.get("reference", ""), key=key)
        except HandOverRefused as refused:
            raise ApiError(HAND_OVER_STATUS[refused.code], refused.code, refused.fields) from None
        body = json.loads(json.dumps({"public_id": subject.pk, "engagement": engagement_out(engagement)},
                                     default=_json_default))
        if idempotency_key:
            IdempotencyKey.objects.create(controller=controller, key=idempotency_key, request_sha256=digest,
                                          subject=subject, status_code=201, response=body)
        return Answer(201, body)


def _json_default(value):
    return value.isoformat() if isinstance(value, datetime) else str(value)


def vacancy_close_by_controller(*, vacancy: Vacancy, controller: Controller) -> tuple[Vacancy, int, list[ErasureJob]]:
    """The client company closes its vacancy: every open application to it is completed, and each applicant
    for whom it was the last open service is erased. Returns the vacancy, how many applications ended, the
    erasure jobs."""
    still_open = ServiceEngagement.objects.filter(vacancy=vacancy, status=ServiceEngagement.Status.OPEN)
    open_before = still_open.count()
    jobs = vacancy_close(vacancy=vacancy, actor=Actor.controller(controller))
    vacancy.refresh_from_db()
    return vacancy, open_before - still_open.count(), jobs  # restricted people's applications stay open
