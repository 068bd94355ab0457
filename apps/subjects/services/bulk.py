"""Bulk actions that erase people (completing services, closing vacancies): what they would erase, counted
first, and a limit per action for staff without the approval permission. Above it a privacy officer approves
on the spot with their own authenticator code (four eyes); the approval, or its refusal, is audited."""

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.services import Actor, Verb, audit_record

from ..models import ErasureJob, ServiceEngagement, Vacancy
from .engagements import engagements_complete
from .vacancies import vacancy_close

# The permission that lifts the limit and lets its holder approve someone else's action (the privacy officer).
APPROVE_PERMISSION = "staff.approve_bulk_erasure"


class ApprovalRefused(PermissionError):
    """Above the limit without a valid approval: nothing was changed."""


@dataclass
class ErasurePreview:
    """What completing these services would do now, in numbers (no names)."""

    services: int = 0  # open services that would be completed
    erased: int = 0  # people whose last open service it is: their data is erased
    kept: int = 0  # people who keep their data (another service of theirs stays open)
    restricted: int = 0  # services left open: the person's processing is restricted
    groups: list[dict] = field(default_factory=list)  # per vacancy and client company

    def needs_approval(self, user) -> bool:
        return self.erased > settings.STAFF_BULK_ERASURE_LIMIT and not user.has_perm(APPROVE_PERMISSION)


def engagements_complete_preview(*, engagement_ids: Iterable[uuid.UUID]) -> ErasurePreview:
    ids = list(engagement_ids)
    chosen = ServiceEngagement.objects.filter(pk__in=ids, status=ServiceEngagement.Status.OPEN)
    closing = chosen.filter(subject__restricted_at__isnull=True)
    people = set(closing.values_list("subject_id", flat=True))
    keeping = set(ServiceEngagement.objects.filter(subject_id__in=people, status=ServiceEngagement.Status.OPEN)
                  .exclude(pk__in=ids).values_list("subject_id", flat=True))
    erased = people - keeping
    groups = list(closing.values("vacancy__title", "controller__name")
                  .annotate(services=Count("pk"), erased=Count("subject", distinct=True,
                                                               filter=Q(subject_id__in=erased)))
                  .order_by("controller__name", "vacancy__title"))
    return ErasurePreview(services=closing.count(), erased=len(erased), kept=len(keeping),
                          restricted=chosen.filter(subject__restricted_at__isnull=False).count(), groups=groups)


def vacancies_close_preview(*, vacancy_ids: Iterable[int]) -> ErasurePreview:
    """Closing these vacancies completes every open application to them."""
    applications = ServiceEngagement.objects.filter(vacancy_id__in=list(vacancy_ids),
                                                    status=ServiceEngagement.Status.OPEN)
    return engagements_complete_preview(engagement_ids=applications.values_list("pk", flat=True))


def _approve(*, preview: ErasurePreview, staff_user, approver_username: str, approver_code: str,
             action: str) -> None:
    """Above the limit: the approver must hold the permission and type a code from their own authenticator
    app. A wrong code counts against their device (django-otp throttles it), and is audited."""
    if not preview.needs_approval(staff_user):
        return
    detail = {"action": action, "people": preview.erased, "services": preview.services,
              "limit": settings.STAFF_BULK_ERASURE_LIMIT}
    approver = get_user_model().objects.filter(username=approver_username.strip(), is_active=True,
                                               is_staff=True).first()
    devices = TOTPDevice.objects.devices_for_user(approver, confirmed=True) if approver else []
    valid = (approver is not None and approver.pk != staff_user.pk and approver.has_perm(APPROVE_PERMISSION)
             and any(device.verify_token(approver_code.strip()) for device in devices))
    if not valid:
        audit_record(actor=Actor.staff(staff_user), verb=Verb.BULK_ERASURE_APPROVAL_REFUSED,
                     target=str(staff_user.pk), detail=detail)
        raise ApprovalRefused("approval refused")
    audit_record(actor=Actor.staff(approver), verb=Verb.BULK_ERASURE_APPROVED, target=str(staff_user.pk),
                 detail=detail)


def engagements_complete_checked(*, engagement_ids: Iterable[uuid.UUID], staff_user, approver_username: str = "",
                                 approver_code: str = "") -> list[ErasureJob]:
    """Staff complete services in bulk: within the limit at once, above it only with a privacy officer's
    approval (ApprovalRefused otherwise, and nothing changes)."""
    ids = list(engagement_ids)
    preview = engagements_complete_preview(engagement_ids=ids)
    _approve(preview=preview, staff_user=staff_user, approver_username=approver_username,
             approver_code=approver_code, action="complete_services")
    return engagements_complete(engagement_ids=ids, actor=Actor.staff(staff_user))


def vacancies_close_checked(*, vacancies: list[Vacancy], staff_user, approver_username: str = "",
                            approver_code: str = "") -> list[ErasureJob]:
    """Staff close vacancies: the same limit, counted over every applicant the closing erases."""
    preview = vacancies_close_preview(vacancy_ids=[v.pk for v in vacancies])
    _approve(preview=preview, staff_user=staff_user, approver_username=approver_username,
             approver_code=approver_code, action="close_vacancies")
    jobs: list[ErasureJob] = []
    for vacancy in vacancies:
        jobs += vacancy_close(vacancy=vacancy, actor=Actor.staff(staff_user))
    return jobs
