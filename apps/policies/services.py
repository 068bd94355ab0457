"""Writes to policy versions, disclosure choices, the disclosure register and change campaigns.
Each goes through here and is audited in the same transaction."""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from apps.audit.services import Actor, Verb, audit_record, audited_transaction
from apps.core.cache import content_bump
from apps.core.datamap import Category
from apps.core.jobs import enqueue_on_commit
from apps.core.transfers import HOME_COUNTRY, TransferRefused, transfer_check
from apps.notifications.services import Message, notifications_queue, notifications_retry
from apps.subjects.links import link_url
from apps.subjects.models import DataSubject, PersonalRecord
from apps.vault.services import datakeys_prefetch

from . import selectors, text
from .links import choice_url
from .models import (
    Campaign,
    CampaignBatch,
    CampaignRecipient,
    Disclosure,
    DisclosureChoice,
    PolicyDisclosure,
    PolicyVersion,
)

logger = logging.getLogger(__name__)
SYSTEM = Actor.system("policies")
# A version may be published with an effective date this much in the past (the form was filled a moment ago).
CLOCK_SKEW = timedelta(minutes=5)
CAMPAIGN_BATCH = 200


class PolicyLocked(PermissionError):
    """A published version cannot change: publish a new one."""


# --- versions --------------------------------------------------------------------------------------
@audited_transaction()
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


@audited_transaction()
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
                 detail={"disclosure": disclosure.key, "country": disclosure.recipient_country,
                         "safeguard": disclosure.transfer_safeguard})
    return disclosure


@audited_transaction()
def policy_disclosure_delete(*, disclosure: PolicyDisclosure, actor: Actor) -> None:
    """A draft no longer allows this disclosure (the admin's inline, "Delete" ticked). A published version's
    disclosures stay: they are what people were told."""
    if PolicyVersion.objects.filter(pk=disclosure.version_id, status=PolicyVersion.Status.PUBLISHED).exists():
        raise PolicyLocked("a published policy version cannot be changed; publish a new version")
    key = disclosure.key
    disclosure.delete()
    audit_record(actor=actor, verb=Verb.POLICY_VERSION_SAVED, target=str(disclosure.version_id),
                 detail={"disclosure": key, "deleted": True})


def _freeze(version: PolicyVersion) -> None:
    """Render the text and the generated table in every language, as they will stay: the table names the
    recipients this version's disclosures add ("who receives it")."""
    rendered, tables = {}, {}
    disclosures = list(version.disclosures.all())
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            tables[language] = text.data_table(disclosures)
            html, toc = text.render_markdown(version.body)
        rendered[language] = {"html": html, "toc": toc}
    version.rendered, version.data_table = rendered, tables


@dataclass
class Published:
    version: PolicyVersion
    campaign: Campaign | None


@audited_transaction()
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
        enqueue_on_commit("apps.policies.tasks.campaign_fan_out_task", str(campaign.pk))
    return Published(version, campaign)


POLICY_TEXTS = ("title", "summary", "body")  # translated (apps/policies/translation.py)


@audited_transaction()
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
        with audited_transaction():
            if PolicyVersion.objects.filter(pk=version.pk, in_force_at__isnull=True).update(in_force_at=now):
                audit_record(actor=SYSTEM, verb=Verb.POLICY_VERSION_IN_FORCE, target=version.version)
                count += 1
    return count


# --- choices: opt out of, or in to, a new disclosure -----------------------------------------------
@audited_transaction()
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


class TransferWithoutSafeguard(DisclosureRefused):
    """The recipient processes data outside Kenya and no safeguard for the transfer is recorded (Act s.48)."""


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
        with audited_transaction():
            return _disclosure_record(subject=subject, actor=actor, recipient=recipient,
                                      data_categories=data_categories, legal_basis=legal_basis,
                                      recorded_by=recorded_by, allowed=allowed, reference=reference,
                                      restricted_until=restricted_until, disclosed_at=disclosed_at)
    except DisclosureRefused as refused:
        audit_record(actor=actor, verb=Verb.DISCLOSURE_REFUSED, target=subject.pk,
                     detail={"legal_basis": legal_basis, "disclosure": allowed.key if allowed else None})
        if isinstance(refused, TransferWithoutSafeguard):
            audit_record(actor=actor, verb=Verb.TRANSFER_REFUSED, target=subject.pk,
                         detail={"disclosure": allowed.key, "country": allowed.recipient_country})
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
    _transfer_allowed(allowed)
    disclosure = Disclosure.objects.create(
        subject=subject, recipient=recipient.strip(), data_categories=sorted(set(data_categories)),
        legal_basis=legal_basis, policy_disclosure=allowed, policy_version=version, consent_receipt=receipt or "",
        reference=reference.strip(), restricted_until=restricted_until, disclosed_at=disclosed_at or timezone.now(),
        recorded_by=recorded_by,
    )
    audit_record(actor=actor, verb=Verb.DISCLOSURE_RECORDED, target=subject.pk,
                 detail={"disclosure": str(disclosure.pk), "legal_basis": legal_basis,
                         "categories": disclosure.data_categories, "restricted": restricted_until is not None})
    if allowed is not None and allowed.recipient_country != HOME_COUNTRY:
        audit_record(actor=actor, verb=Verb.TRANSFER_ABROAD, target=subject.pk, detail={
            "disclosure": str(disclosure.pk), "country": allowed.recipient_country,
            "safeguard": allowed.transfer_safeguard})
    return disclosure


def _transfer_allowed(allowed: PolicyDisclosure | None) -> None:
    """A recipient outside Kenya needs a recorded safeguard before anything is disclosed to it (Act s.48; General
    Regulations reg. 40). A safeguard of consent rests on the person's consent to the disclosure's purpose, given
    under a policy whose table names the country, which a consent-based disclosure already requires."""
    if allowed is None:
        return
    try:
        transfer_check(country=allowed.recipient_country, safeguard=allowed.transfer_safeguard)
    except TransferRefused:
        raise TransferWithoutSafeguard(_(
            "The recipient processes data outside Kenya (%(country)s) and no safeguard for the transfer is "
            "recorded. Record an adequacy decision, appropriate safeguards or the person's consent on the policy's "
            "disclosure first.") % {"country": allowed.recipient_country}) from None


# --- campaigns: telling everyone affected by a change ----------------------------------------------
# A campaign is split into slices of about CAMPAIGN_BATCH people (CampaignBatch), each written by its own job
# in one transaction; the jobs are published together, so every worker process writes slices at once.
UUID_SPACE = 1 << 128


def _slices(count: int, batch_size: int) -> list[tuple[uuid.UUID, uuid.UUID | None]]:
    """Split the id space into equal ranges holding about batch_size of `count` people each. Ids are random
    (uuid4), so the people spread evenly over the ranges; someone who joins later falls in one of them."""
    k = max(1, -(-count // batch_size))
    bounds = [uuid.UUID(int=(i * UUID_SPACE) // k) for i in range(k)]
    return [(bounds[i], bounds[i + 1] if i + 1 < k else None) for i in range(k)]


def campaign_fan_out(*, campaign_id: uuid.UUID, batch_size: int | None = None) -> int:
    """Split the campaign's people into slices (the first time) and publish a job for every slice not yet
    written. A second delivery, or the sweep, publishes the unwritten slices again: each slice's lock and
    its done mark make that harmless. Returns how many slice jobs this call published."""
    with audited_transaction():
        campaign = Campaign.objects.select_for_update().filter(
            pk=campaign_id, status=Campaign.Status.FANNING_OUT).first()
        if campaign is None:
            return 0
        now = timezone.now()
        if not campaign.batches:
            slices = _slices(selectors.people_affected().count(), batch_size or CAMPAIGN_BATCH)
            CampaignBatch.objects.bulk_create([CampaignBatch(campaign=campaign, start=start, end=end)
                                               for start, end in slices])
            campaign.batches = len(slices)
            audit_record(actor=SYSTEM, verb=Verb.CAMPAIGN_BATCH_QUEUED, target=campaign.version.version,
                         detail={"campaign": str(campaign.pk), "batches": len(slices)})
        # A slice being written is locked by its job (and needs no new one): skipped, never waited for.
        waiting = list(campaign.slices.select_for_update(skip_locked=True).filter(done_at__isnull=True)
                       .values_list("pk", flat=True))
        CampaignBatch.objects.filter(pk__in=waiting).update(queued_at=now)
        campaign.queued_at = now
        campaign.save(update_fields=["batches", "queued_at"])
        for batch_id in waiting:
            enqueue_on_commit("apps.policies.tasks.campaign_batch_task", str(batch_id))
    logger.info("campaign fan-out id=%s batches published=%s", campaign_id, len(waiting))
    return len(waiting)


def _version_texts(version: PolicyVersion, previous: PolicyVersion | None, language: str) -> dict:
    """What every person's message of this version says in this language (links to the version itself)."""
    with translation.override(language):
        changes = (reverse("policy-changes", args=[previous.number, version.number]) if previous
                   else reverse("privacy-policy-version", args=[version.number]))
        return {
            "version": version.version,
            "summary": version.summary,
            "effective_on": timezone.localtime(version.effective_at).date().isoformat(),
            "changes_url": settings.SITE_URL + changes,
        }


def _message_context(*, subject: DataSubject, version: PolicyVersion, new: list[PolicyDisclosure],
                     language: str, texts: dict) -> dict:
    """One person's message: the version's texts, their private link and their one-click choices."""
    with translation.override(language):
        return {
            **texts,
            "link": link_url(subject),
            "disclosures": [{
                "recipient": d.recipient, "purpose": d.purpose, "compatible": d.compatible,
                "choice_url": choice_url(subject=subject, version=version, key=d.key, language=language,
                                         choice=(DisclosureChoice.Choice.OPTED_OUT if d.compatible
                                                 else DisclosureChoice.Choice.OPTED_IN)),
            } for d in new],
        }


def campaign_batch_write(*, batch_id: uuid.UUID) -> int:
    """Write one slice: every affected person in it gets their messages' rows (sent by the notification jobs)
    and a recipient row, the slice is marked written and the campaign counts it, all in one transaction: a
    crash repeats the slice, never half of it. Returns how many people this call wrote; 0 when another worker
    holds the slice or it is written. An address that cannot be sent to gets no message (the person goes on
    the call list) and holds up nobody; a restricted person is not affected."""
    with audited_transaction():
        batch = (CampaignBatch.objects.select_for_update(skip_locked=True, of=("self",))
                 .select_related("campaign__version")
                 .filter(pk=batch_id, done_at__isnull=True, campaign__status=Campaign.Status.FANNING_OUT).first())
        if batch is None:
            return 0
        campaign, version = batch.campaign, batch.campaign.version
        previous = selectors.policy_previous(version)
        new = selectors.disclosures_new_since(version, previous)
        people = selectors.people_affected().filter(pk__gte=batch.start)
        if batch.end is not None:
            people = people.filter(pk__lt=batch.end)
        people = list(people)
        ids = [s.pk for s in people]
        done_already = set(CampaignRecipient.objects.filter(campaign=campaign, subject__in=ids)
                           .values_list("subject_id", flat=True))
        fresh = [subject for subject in people if subject.pk not in done_already]
        datakeys_prefetch(subject_ids=[s.pk for s in fresh])  # the records are read, the messages sealed
        records = {r.subject_id: r for r in PersonalRecord.objects.filter(subject__in=[s.pk for s in fresh])
                   .only("id", "subject_id", "email", "mobile")}
        languages = selectors.languages_of([s.pk for s in fresh])
        texts: dict[str, dict] = {}
        messages = []
        for subject in fresh:
            record = records.get(subject.pk)
            if record is None:
                continue
            language = languages.get(subject.pk) or settings.LANGUAGE_CODE
            if language not in texts:
                texts[language] = _version_texts(version, previous, language)
            context = _message_context(subject=subject, version=version, new=new, language=language,
                                       texts=texts[language])
            if record.email:
                messages.append(Message(subject, "email", "policy_changed", record.email, context, language))
            if record.mobile:
                messages.append(Message(subject, "sms", "policy_changed", record.mobile.as_e164, context, language))
        queued = dict(zip([(m.subject.pk, m.channel) for m in messages],
                          notifications_queue(messages=messages, skip_unusable=True, audit_each=False), strict=True))
        unusable = 0
        for (subject_id, channel), notification in queued.items():
            if notification is None:
                unusable += 1
                logger.warning("campaign message not queued subject=%s channel=%s: unusable address", subject_id,
                               channel)
        CampaignRecipient.objects.bulk_create([
            CampaignRecipient(campaign=campaign, subject=subject, email=queued.get((subject.pk, "email")),
                              sms=queued.get((subject.pk, "sms")))
            for subject in fresh
        ])
        now = timezone.now()
        batch.people, batch.done_at = len(fresh), now
        batch.save(update_fields=["people", "done_at"])
        # Last: the campaign's row is locked from here to the commit, so slices finishing together queue
        # only for this moment; the one that counts the last slice marks the campaign written.
        Campaign.objects.filter(pk=campaign.pk).update(people=F("people") + len(fresh), queued_at=now,
                                                       batches_done=F("batches_done") + 1)
        finished = Campaign.objects.filter(pk=campaign.pk, status=Campaign.Status.FANNING_OUT,
                                           batches_done__gte=F("batches")).update(
            status=Campaign.Status.FANNED_OUT, fanned_out_at=now)
        sent = [n for n in queued.values() if n is not None]
        # One event for the slice: the messages are rows of their own, and each send is audited.
        audit_record(actor=SYSTEM, verb=Verb.CAMPAIGN_BATCH_QUEUED, target=version.version,
                     detail={"campaign": str(campaign.pk), "batch": str(batch.pk), "people": len(fresh),
                             "email": sum(n.channel == "email" for n in sent),
                             "sms": sum(n.channel == "sms" for n in sent), "unusable": unusable,
                             "done": bool(finished)})
    logger.info("campaign batch id=%s people=%s", batch_id, len(fresh))
    return len(fresh)


def campaigns_redrive(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Publish the fan-out again for any campaign that has not moved for a while (broker down, worker died):
    it splits the campaign if that was lost, and publishes every slice not written yet. A campaign moves
    when it is split and whenever a slice is written, so slices waiting their turn behind a long queue are
    not published twice over. Beat runs this; each slice's lock and done mark make a duplicate harmless."""
    cutoff = timezone.now() - older_than
    count = 0
    for campaign_id in Campaign.objects.filter(status=Campaign.Status.FANNING_OUT, queued_at__lt=cutoff) \
            .values_list("pk", flat=True):
        with audited_transaction():
            if Campaign.objects.filter(pk=campaign_id, status=Campaign.Status.FANNING_OUT,
                                       queued_at__lt=cutoff).update(queued_at=timezone.now()):
                enqueue_on_commit("apps.policies.tasks.campaign_fan_out_task", str(campaign_id))
                count += 1
    return count


@audited_transaction()
def campaign_retry_failed(*, campaign: Campaign, actor: Actor) -> int:
    """The officer retries a campaign's failed messages: they are sent again with fresh attempts."""
    ids = [pk for pair in campaign.recipients.values_list("email", "sms") for pk in pair if pk]
    count = notifications_retry(notification_ids=ids)
    audit_record(actor=actor, verb=Verb.CAMPAIGN_RETRIED, target=campaign.version.version,
                 detail={"campaign": str(campaign.pk), "messages": count})
    return count


@audited_transaction()
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
