"""Writes to policy versions, disclosure choices, the disclosure register and change campaigns.
Each goes through here and is audited in the same transaction."""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.audit.services import Actor, Verb, audit_record, audited_transaction
from apps.core.cache import content_bump
from apps.core.datamap import Category
from apps.core.jobs import enqueue_on_commit
from apps.notifications.services import Message, notifications_queue, notifications_retry
from apps.subjects.links import link_url
from apps.subjects.models import DataSubject, PersonalRecord
from apps.vault.services import datakeys_prefetch

from . import selectors, tasks, text
from .links import choice_url
from .models import Campaign, CampaignRecipient, Disclosure, DisclosureChoice, PolicyDisclosure, PolicyVersion

logger = logging.getLogger(__name__)
SYSTEM = Actor.system("policies")
# A version may be published with an effective date this much in the past (the form was filled a moment ago).
CLOCK_SKEW = timedelta(minutes=5)
CAMPAIGN_BATCH = 200


class PolicyLocked(PermissionError):
    """A published version cannot change: publish a new one."""


# --- versions --------------------------------------------------------------------------------------
@transaction.atomic
def policy_version_save(*, version: PolicyVersion, actor: Actor, changed: list[str]) -> PolicyVersion:
    """Staff create or edit a draft in the admin. Audited with the fields changed."""
    created = version._state.adding
    if not created and PolicyVersion.objects.filter(pk=version.pk, status=PolicyVersion.Status.PUBLISHED).exists():
        raise PolicyLocked("a published policy version cannot be changed; publish a new version")
    version.status = PolicyVersion.Status.DRAFT
    version.full_clean()
    version.save()
    audit_record(actor=actor, verb=Verb.POLICY_VERSION_SAVED, target=str(version.pk),
                 detail={"created": created, "fields": sorted(changed)})
    return version


@transaction.atomic
def policy_disclosure_save(*, disclosure: PolicyDisclosure, actor: Actor) -> PolicyDisclosure:
    """A disclosure a draft allows (the admin's inline)."""
    if PolicyVersion.objects.filter(pk=disclosure.version_id, status=PolicyVersion.Status.PUBLISHED).exists():
        raise PolicyLocked("a published policy version cannot be changed; publish a new version")
    unknown = set(disclosure.data_categories) - set(Category.values)
    if unknown:
        raise ValidationError({"data_categories": _("Unknown data categories: %(names)s")
                               % {"names": ", ".join(sorted(unknown))}})
    disclosure.full_clean()
    disclosure.save()
    audit_record(actor=actor, verb=Verb.POLICY_VERSION_SAVED, target=str(disclosure.version_id),
                 detail={"disclosure": disclosure.key})
    return disclosure


def _freeze(version: PolicyVersion) -> None:
    """Render the text and the generated table in every language, as they will stay."""
    rendered, tables = {}, {}
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            tables[language] = text.data_table()
            html, toc = text.render_markdown(version.body)
        rendered[language] = {"html": html, "toc": toc}
    version.rendered, version.data_table = rendered, tables


@dataclass
class Published:
    version: PolicyVersion
    campaign: Campaign | None


@transaction.atomic
def policy_version_publish(*, version: PolicyVersion, actor: Actor, now: datetime | None = None) -> Published:
    """Publish a draft: number it, freeze its text, and (if its disclosures differ from the version before)
    start the campaign that tells everyone affected. Publishing twice changes nothing the second time."""
    now = now or timezone.now()
    version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if version.is_published:
        return Published(version, Campaign.objects.filter(version=version).first())
    latest = PolicyVersion.objects.select_for_update().filter(
        status=PolicyVersion.Status.PUBLISHED).order_by("-number").first()
    effective_at = version.effective_at or now
    if effective_at < now - CLOCK_SKEW:
        raise ValidationError({"effective_at": _("A version cannot come into force in the past. Leave the date "
                                                 "empty to bring it into force now.")})
    if latest and effective_at <= latest.effective_at:
        raise ValidationError({"effective_at": _("It must come into force after version %(n)s (%(date)s).")
                               % {"n": latest.number, "date": timezone.localtime(latest.effective_at)
                                  .strftime("%Y-%m-%d %H:%M")}})
    # The first version tells nobody: there was no earlier promise to depart from.
    new_disclosures = selectors.disclosures_new_since(version, latest)
    _freeze(version)
    version.number = (latest.number if latest else 0) + 1
    version.status = PolicyVersion.Status.PUBLISHED
    version.effective_at, version.published_at = effective_at, now
    version.in_force_at = now if effective_at <= now else None
    version.save()
    content_bump(selectors.POLICY_IN_FORCE)
    audit_record(actor=actor, verb=Verb.POLICY_PUBLISHED, target=version.version,
                 detail={"effective_at": effective_at.isoformat(), "new_disclosures": [d.key for d in new_disclosures]})
    if version.in_force_at:
        audit_record(actor=actor, verb=Verb.POLICY_VERSION_IN_FORCE, target=version.version)
    campaign = None
    if new_disclosures:
        campaign = Campaign.objects.create(version=version, queued_at=now)
        audit_record(actor=actor, verb=Verb.CAMPAIGN_STARTED, target=version.version,
                     detail={"campaign": str(campaign.pk)})
        enqueue_on_commit(tasks.campaign_fan_out_task, str(campaign.pk))
    return Published(version, campaign)


POLICY_TEXTS = ("title", "summary", "body")  # translated (apps/policies/translation.py)


@transaction.atomic
def policy_version_ensure(*, version: str, title: str, summary: str, body: str, effective_at: datetime | None,
                          translations: dict[str, str] | None = None, actor: Actor) -> tuple[PolicyVersion, bool]:
    """Publish this version unless it exists (setup_site): a published text is never rewritten. The number
    must be the next one, since numbers are given in order of publication. `translations`: its texts in
    other languages, e.g. {"title_sw": …, "body_sw": …}."""
    existing = PolicyVersion.objects.filter(number=int(version), status=PolicyVersion.Status.PUBLISHED).first()
    if existing is not None:
        return existing, False
    allowed = {f"{field}_{language}" for field in POLICY_TEXTS for language, _name in settings.LANGUAGES}
    unknown = set(translations or {}) - allowed
    if unknown:
        raise ValueError(f"policy version {version}: unknown texts {sorted(unknown)}")
    draft = PolicyVersion.objects.create(title=title, summary=summary, body=body, effective_at=effective_at,
                                         **(translations or {}))
    published = policy_version_publish(version=draft, actor=actor).version
    if published.version != str(version):
        raise ValidationError(f"version {version} would be published as version {published.version}")
    return published, True


def policies_bring_into_force(*, now: datetime | None = None) -> int:
    """A version whose date has come is in force from then (the selector already says so); this records
    the moment once, audited. Beat runs it every minute."""
    now = now or timezone.now()
    count = 0
    due = PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED, in_force_at__isnull=True,
                                       effective_at__lte=now).order_by("number")
    for version in due:
        with transaction.atomic():
            if PolicyVersion.objects.filter(pk=version.pk, in_force_at__isnull=True).update(in_force_at=now):
                audit_record(actor=SYSTEM, verb=Verb.POLICY_VERSION_IN_FORCE, target=version.version)
                count += 1
    return count


# --- choices: opt out of, or in to, a new disclosure -----------------------------------------------
@transaction.atomic
def disclosure_choice_record(*, subject: DataSubject, version: PolicyVersion, key: str, choice: str,
                             source: str) -> tuple[DisclosureChoice, bool]:
    """Record a person's choice about one disclosure. The same choice again records nothing new:
    returns (the receipt in effect, whether this call wrote it)."""
    DataSubject.objects.select_for_update().filter(pk=subject.pk).first()  # one choice at a time per person
    current = selectors.disclosure_choices_for(subject=subject).get(key)
    if current is not None and current.choice == choice:
        return current, False
    receipt = DisclosureChoice(subject=subject, disclosure_key=key, version=version, choice=choice, source=source)
    receipt.save()
    verb = Verb.DISCLOSURE_OPTED_OUT if choice == DisclosureChoice.Choice.OPTED_OUT else Verb.DISCLOSURE_OPTED_IN
    audit_record(actor=Actor.subject(subject) if source != DisclosureChoice.Source.PHONE_CALL else SYSTEM,
                 verb=verb, target=subject.pk,
                 detail={"disclosure": key, "version": version.version, "receipt": str(receipt.pk), "source": source})
    return receipt, True


# --- the disclosure register -----------------------------------------------------------------------
class DisclosureRefused(ValidationError):
    """The disclosure may not be made; the message says why (no personal data)."""


# The consent app (above this one) tells us whether a person's consent to a purpose stands, and which
# receipt proves it: registered in ConsentConfig.ready(), as the personal-data map is.
ConsentLookup = Callable[[uuid.UUID, str], str | None]
_consent_lookup: list[ConsentLookup] = []


def consent_lookup_register(lookup: ConsentLookup) -> None:
    _consent_lookup[:] = [lookup]


def _consent_receipt(subject: DataSubject, purpose_slug: str) -> str | None:
    if not _consent_lookup:
        raise RuntimeError("no consent lookup registered (the consent app registers it when ready)")
    return _consent_lookup[0](subject.pk, purpose_slug)


def _consent_basis(subject: DataSubject, allowed: PolicyDisclosure) -> tuple[PolicyVersion, str]:
    """The version and the consent receipt a consent-based disclosure rests on, or DisclosureRefused."""
    in_force = selectors.policy_in_force()
    if in_force is None or allowed.version_id != in_force.pk:
        raise DisclosureRefused(_("The policy in force does not allow this disclosure."))
    if not allowed.purpose_slug:
        raise DisclosureRefused(_("This disclosure names no purpose the person consented to."))
    choice = selectors.disclosure_choices_for(subject=subject).get(allowed.key)
    if choice is not None and choice.choice == DisclosureChoice.Choice.OPTED_OUT:
        raise DisclosureRefused(_("The person opted out of this disclosure on %(date)s.")
                                % {"date": timezone.localdate(choice.created_at).isoformat()})
    if not allowed.compatible and (choice is None or choice.choice != DisclosureChoice.Choice.OPTED_IN):
        raise DisclosureRefused(_("This disclosure is for a new purpose: the person has not opted in."))
    receipt = _consent_receipt(subject, allowed.purpose_slug)
    if receipt is None:
        raise DisclosureRefused(_("The person has not consented to the purpose of this disclosure, "
                                  "or has withdrawn their consent."))
    return in_force, receipt


def disclosure_record(*, subject: DataSubject, actor: Actor, recipient: str, data_categories: list[str],
                      legal_basis: str, recorded_by=None, allowed: PolicyDisclosure | None = None,
                      reference: str = "", restricted_until: date | None = None,
                      disclosed_at: datetime | None = None) -> Disclosure:
    """Record one disclosure to a third party. A consent-based one needs the disclosure the policy in force
    allows, the person's standing consent, and no opt-out; a legal-obligation one needs a reference.
    A refusal raises DisclosureRefused and is audited (without the reason's details)."""
    try:
        with transaction.atomic():
            return _disclosure_record(subject=subject, actor=actor, recipient=recipient,
                                      data_categories=data_categories, legal_basis=legal_basis,
                                      recorded_by=recorded_by, allowed=allowed, reference=reference,
                                      restricted_until=restricted_until, disclosed_at=disclosed_at)
    except DisclosureRefused:
        audit_record(actor=actor, verb=Verb.DISCLOSURE_REFUSED, target=subject.pk,
                     detail={"legal_basis": legal_basis, "disclosure": allowed.key if allowed else None})
        raise


def disclosures_record(*, subject_ids: list[uuid.UUID], actor: Actor, recorded_by=None, **disclosure) -> tuple[
        int, list[tuple[uuid.UUID, str]]]:
    """The same disclosure for several people (staff record one for a selection): each person on their own,
    so one refusal does not stop the others. Returns how many were recorded and, per refused public id, why."""
    people = DataSubject.objects.in_bulk(subject_ids)
    recorded, refused = 0, []
    for subject_id in subject_ids:
        subject = people.get(subject_id)
        if subject is None:
            refused.append((subject_id, _("no such person")))
            continue
        try:
            disclosure_record(subject=subject, actor=actor, recorded_by=recorded_by, **disclosure)
            recorded += 1
        except DisclosureRefused as exc:
            refused.append((subject_id, " ".join(exc.messages)))
    return recorded, refused


def _disclosure_record(*, subject: DataSubject, actor: Actor, recipient: str, data_categories: list[str],
                       legal_basis: str, recorded_by, allowed: PolicyDisclosure | None, reference: str,
                       restricted_until: date | None, disclosed_at: datetime | None) -> Disclosure:
    if subject.is_erased:
        raise DisclosureRefused(_("This person's data has been erased."))
    if DataSubject.objects.filter(pk=subject.pk, restricted_at__isnull=False).exists():
        raise DisclosureRefused(_("Processing of this person's data is restricted: nothing may be disclosed until "
                                  "the privacy officer lifts the restriction."))
    unknown = set(data_categories) - set(Category.values)
    if unknown or not data_categories:
        raise DisclosureRefused(_("Name the data categories disclosed, from the personal-data map."))
    version, receipt = None, ""
    if legal_basis == Disclosure.LegalBasis.CONSENT:
        if allowed is None:
            raise DisclosureRefused(_("A disclosure on consent must be one the policy in force allows."))
        if restricted_until is not None:
            raise DisclosureRefused(_("Only a disclosure the law requires can be hidden from the person."))
        version, receipt = _consent_basis(subject, allowed)
        recipient = recipient or allowed.recipient
    elif legal_basis == Disclosure.LegalBasis.LEGAL_OBLIGATION:
        if not reference.strip():
            raise DisclosureRefused(_("A disclosure the law requires needs its reference, such as the court "
                                      "order number."))
    else:
        raise DisclosureRefused(_("Unknown legal basis."))
    if not recipient.strip():
        raise DisclosureRefused(_("Name the recipient."))
    disclosure = Disclosure.objects.create(
        subject=subject, recipient=recipient.strip(), data_categories=sorted(set(data_categories)),
        legal_basis=legal_basis, policy_disclosure=allowed, policy_version=version, consent_receipt=receipt or "",
        reference=reference.strip(), restricted_until=restricted_until, disclosed_at=disclosed_at or timezone.now(),
        recorded_by=recorded_by,
    )
    audit_record(actor=actor, verb=Verb.DISCLOSURE_RECORDED, target=subject.pk,
                 detail={"disclosure": str(disclosure.pk), "legal_basis": legal_basis,
                         "categories": disclosure.data_categories, "restricted": restricted_until is not None})
    return disclosure


# --- campaigns: telling everyone affected by a change ----------------------------------------------
def _message_context(*, subject: DataSubject, version: PolicyVersion, previous: PolicyVersion | None,
                     new: list[PolicyDisclosure], language: str) -> dict:
    with translation.override(language):
        changes = (reverse("policy-changes", args=[previous.number, version.number]) if previous
                   else reverse("privacy-policy-version", args=[version.number]))
        return {
            "version": version.version,
            "summary": version.summary,
            "effective_on": timezone.localtime(version.effective_at).date().isoformat(),
            "changes_url": settings.SITE_URL + changes,
            "link": link_url(subject),
            "disclosures": [{
                "recipient": d.recipient, "purpose": d.purpose, "compatible": d.compatible,
                "choice_url": choice_url(subject=subject, version=version, key=d.key, language=language,
                                         choice=(DisclosureChoice.Choice.OPTED_OUT if d.compatible
                                                 else DisclosureChoice.Choice.OPTED_IN)),
            } for d in new],
        }


def campaign_fan_out(*, campaign_id: uuid.UUID, batch_size: int = CAMPAIGN_BATCH) -> int:
    """Write the next batch of people's messages (rows first, sent by the notification jobs), move the
    cursor, and queue the next batch, all in one transaction: a crash repeats the batch, never half of it.
    Returns how many people this call wrote; 0 when another worker holds the campaign or it is done.
    The batch's messages are written in one insert and sent by a few jobs (apps.notifications); an address
    that cannot be sent to gets no message (the person goes on the call list) and holds up nobody."""
    with audited_transaction():
        campaign = (Campaign.objects.select_for_update(skip_locked=True).select_related("version")
                    .filter(pk=campaign_id, status=Campaign.Status.FANNING_OUT).first())
        if campaign is None:
            return 0
        version = campaign.version
        previous = selectors.policy_previous(version)
        new = selectors.disclosures_new_since(version, previous)
        people = selectors.people_affected()
        if campaign.cursor:
            people = people.filter(pk__gt=campaign.cursor)
        batch = list(people[:batch_size])
        done_already = set(CampaignRecipient.objects.filter(campaign=campaign, subject__in=batch)
                           .values_list("subject_id", flat=True))
        datakeys_prefetch(subject_ids=[s.pk for s in batch])  # the records are read, the messages sealed
        records = {r.subject_id: r for r in PersonalRecord.objects.filter(subject__in=batch)}
        languages = selectors.languages_of([s.pk for s in batch])
        fresh = [subject for subject in batch if subject.pk not in done_already]
        messages = []
        for subject in fresh:
            record = records.get(subject.pk)
            language = languages.get(subject.pk) or settings.LANGUAGE_CODE
            context = _message_context(subject=subject, version=version, previous=previous, new=new,
                                       language=language)
            if record is not None and record.email:
                messages.append(Message(subject, "email", "policy_changed", record.email, context, language))
            if record is not None and record.mobile:
                messages.append(Message(subject, "sms", "policy_changed", record.mobile.as_e164, context, language))
        queued = dict(zip([(m.subject.pk, m.channel) for m in messages],
                          notifications_queue(messages=messages, skip_unusable=True), strict=True))
        for (subject_id, channel), notification in queued.items():
            if notification is None:
                logger.warning("campaign message not queued subject=%s channel=%s: unusable address", subject_id,
                               channel)
        CampaignRecipient.objects.bulk_create([
            CampaignRecipient(campaign=campaign, subject=subject, email=queued.get((subject.pk, "email")),
                              sms=queued.get((subject.pk, "sms")))
            for subject in fresh
        ])
        written = len(fresh)
        now = timezone.now()
        campaign.people += written
        if batch:
            campaign.cursor = batch[-1].pk
        if len(batch) < batch_size:
            campaign.status, campaign.fanned_out_at = Campaign.Status.FANNED_OUT, now
        else:
            campaign.queued_at = now
            enqueue_on_commit(tasks.campaign_fan_out_task, str(campaign.pk))
        campaign.save(update_fields=["people", "cursor", "status", "fanned_out_at", "queued_at"])
        audit_record(actor=SYSTEM, verb=Verb.CAMPAIGN_BATCH_QUEUED, target=version.version,
                     detail={"campaign": str(campaign.pk), "people": written, "done": len(batch) < batch_size})
    logger.info("campaign batch id=%s people=%s", campaign_id, written)
    return written


def campaigns_redrive(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Publish again the next batch of any campaign that has not moved for a while (broker down, worker
    died). Beat runs this; the batch's own lock and cursor make a duplicate harmless."""
    cutoff = timezone.now() - older_than
    count = 0
    for campaign_id in Campaign.objects.filter(status=Campaign.Status.FANNING_OUT, queued_at__lt=cutoff) \
            .values_list("pk", flat=True):
        with transaction.atomic():
            if Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.FANNING_OUT,
                                       queued_at__lt=cutoff).update(queued_at=timezone.now()):
                enqueue_on_commit(tasks.campaign_fan_out_task, str(campaign_id))
                count += 1
    return count


@transaction.atomic
def campaign_retry_failed(*, campaign: Campaign, actor: Actor) -> int:
    """The officer retries a campaign's failed messages: they are sent again with fresh attempts."""
    ids = [pk for pair in campaign.recipients.values_list("email", "sms") for pk in pair if pk]
    count = notifications_retry(notification_ids=ids)
    audit_record(actor=actor, verb=Verb.CAMPAIGN_RETRIED, target=campaign.version.version,
                 detail={"campaign": str(campaign.pk), "messages": count})
    return count


@transaction.atomic
def campaign_call_record(*, recipient: CampaignRecipient, outcome: str, actor: Actor) -> CampaignRecipient:
    """Staff called a person no message reached and record what happened. Opting out on the phone is a
    choice receipt like any other."""
    if outcome not in {c for c in CampaignRecipient.CallOutcome.values if c}:
        raise ValidationError(_("Unknown call outcome."))
    recipient = CampaignRecipient.objects.select_for_update().select_related("campaign__version", "subject") \
        .get(pk=recipient.pk)
    recipient.call_outcome, recipient.called_at = outcome, timezone.now()
    recipient.save(update_fields=["call_outcome", "called_at"])
    if outcome == CampaignRecipient.CallOutcome.OPTED_OUT:
        version = recipient.campaign.version
        for disclosure in selectors.disclosures_new_in(version):
            choice = DisclosureChoice.Choice.OPTED_OUT if disclosure.compatible else None
            if choice:
                disclosure_choice_record(subject=recipient.subject, version=version, key=disclosure.key,
                                         choice=choice, source=DisclosureChoice.Source.PHONE_CALL)
    audit_record(actor=actor, verb=Verb.CAMPAIGN_CALL_RECORDED, target=recipient.subject_id,
                 detail={"campaign": str(recipient.campaign_id), "outcome": outcome})
    return recipient
