"""Client companies and their API tokens, and what their API calls do. Every change is audited here."""

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.audit.services import Actor, Entry, Verb, audit_record, audit_records
from apps.subjects import services as subject_services
from apps.subjects.models import Controller, ErasureJob, ServiceEngagement

from .models import ApiToken, IdempotencyKey, Scope

TOKEN_PATTERN = re.compile(r"pp_(?P<prefix>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{43})")


class TokenRejected(Exception):
    """The presented token cannot be used. `code` says why (never the token itself)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- client companies and tokens (the privacy officer, in the admin) ---------------------------------------
@transaction.atomic
def controller_save(*, controller: Controller, actor: Actor, changed: list[str]) -> Controller:
    created = controller._state.adding
    controller.full_clean()
    controller.save()
    audit_record(actor=actor, verb=Verb.CONTROLLER_SAVED, target=controller.pk,
                 detail={"created": created, "fields": sorted(changed)})
    return controller


@transaction.atomic
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


@transaction.atomic
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


@transaction.atomic
def api_call_record(*, token: ApiToken | None, endpoint: str, status: int, code: str = "") -> None:
    """Every API call is in the audit log: which client company (and token), which endpoint, what answer.
    Never a body, a query value or a token secret."""
    detail = {"endpoint": endpoint, "status": status}
    if code:
        detail["code"] = code
    if token is not None:
        detail["token"] = token.prefix
        actor, target = Actor.controller(token.controller), token.controller_id
    else:
        actor, target = Actor.system("api"), ""
    audit_record(actor=actor, verb=Verb.API_CALLED, target=target, detail=detail)


# --- services of the API --------------------------------------------------------------------------------
def engagement_complete_by_controller(*, engagement: ServiceEngagement, controller: Controller) -> list[ErasureJob]:
    """The client company says the service is complete: it ends, and the person's erasure is queued if it
    was their last open service. Returns the erasure jobs written (none while another service is open)."""
    return subject_services.engagements_complete(engagement_ids=[engagement.pk], actor=Actor.controller(controller))


def idempotency_keys_expire(*, now: datetime | None = None) -> int:
    cutoff = (now or timezone.now()) - timedelta(days=settings.API_IDEMPOTENCY_DAYS)
    return IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()[0]


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict
