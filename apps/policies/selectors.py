"""Reads: the version in force, the archive, differences, who a change affects, campaign progress."""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone, translation

from apps.core.cache import content_cached
from apps.notifications.models import Notification
from apps.subjects.models import DataSubject, ServiceEngagement, SubjectLookup

from . import text
from .models import Campaign, CampaignRecipient, Disclosure, DisclosureChoice, PolicyDisclosure, PolicyVersion

POLICY_IN_FORCE = "policy-in-force"  # the content version publishing bumps (apps.core.cache)


def _policy_in_force_now() -> tuple[PolicyVersion | None, datetime | None]:
    now = timezone.now()
    published = PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED)
    in_force = published.filter(effective_at__lte=now).order_by("-number").first()
    # The cached answer holds until the next published version comes into force.
    next_at = published.filter(effective_at__gt=now).order_by("effective_at").values_list("effective_at", flat=True)
    return in_force, next_at.first()


def policy_in_force() -> PolicyVersion | None:
    """Exactly one: effective dates rise with the version number, so the newest effective one. Read on every
    form; cached until a version is published or the next one's date comes."""
    in_force, until = content_cached(POLICY_IN_FORCE, (), _policy_in_force_now)
    if until is not None and until <= timezone.now():
        in_force, _until = _policy_in_force_now()
    return in_force


def policies_published() -> list[PolicyVersion]:
    return list(PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED).order_by("-number"))


def policy_published(number: int) -> PolicyVersion | None:
    return PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED, number=number).first()


def policy_latest_published() -> PolicyVersion | None:
    return PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED).order_by("-number").first()


def policy_previous(version: PolicyVersion) -> PolicyVersion | None:
    """The version this one follows: the newest published before it (for a draft, the newest published)."""
    published = PolicyVersion.objects.filter(status=PolicyVersion.Status.PUBLISHED)
    if version.number:
        published = published.filter(number__lt=version.number)
    return published.exclude(pk=version.pk).order_by("-number").first()


def _disclosures_by_key(version: PolicyVersion | None) -> dict[str, PolicyDisclosure]:
    return {d.key: d for d in version.disclosures.all()} if version else {}


def disclosures_new_in(version: PolicyVersion) -> list[PolicyDisclosure]:
    """The disclosures a version adds or changes compared with the one before: what people are told about."""
    return disclosures_new_since(version, policy_previous(version))


def disclosures_new_since(version: PolicyVersion, previous: PolicyVersion | None) -> list[PolicyDisclosure]:
    """None before it: the first version departs from no earlier promise, so nothing is new."""
    if previous is None:
        return []
    before = _disclosures_by_key(previous)
    return [d for d in version.disclosures.all() if d.key not in before or before[d.key].terms() != d.terms()]


def _disclosure_row(d: PolicyDisclosure) -> dict:
    return {"recipient": d.recipient, "recipient_category": d.recipient_category, "purpose": d.purpose,
            "data_categories": sorted(d.data_categories), "compatible": d.compatible}


@dataclass
class VersionDiff:
    old: PolicyVersion | None
    new: PolicyVersion
    text: list[text.Block]
    summary: list[text.Block]
    disclosures: list[text.Change]
    table: list[text.Change]

    @property
    def text_changed(self) -> bool:
        return any(block.kind != "same" for block in self.text)


def data_table_of(version: PolicyVersion, *, language: str = "en") -> list[dict[str, str]]:
    """A version's "what we collect" table with the recipients its disclosures add: frozen when it was
    published (a table frozen without them gets them here), generated now for a draft."""
    with translation.override(language):
        disclosures = list(version.disclosures.all())
        if not version.is_published:
            return text.data_table(disclosures)
        frozen = version.data_table.get(language) or version.data_table.get(settings.LANGUAGE_CODE) or []
        return text.with_disclosures(frozen, disclosures)


def versions_diff(old: PolicyVersion | None, new: PolicyVersion, *, language: str = "en") -> VersionDiff:
    """A readable difference: paragraphs, the disclosure list and the generated data table."""
    old_table = {r["holding"]: r for r in data_table_of(old, language=language)} if old else {}
    new_table = {r["holding"]: r for r in data_table_of(new, language=language)}
    return VersionDiff(
        old=old, new=new,
        text=text.text_diff(old.body if old else "", new.body),
        summary=text.text_diff("", new.summary),
        disclosures=text.keyed_diff({k: _disclosure_row(d) for k, d in _disclosures_by_key(old).items()},
                                    {k: _disclosure_row(d) for k, d in _disclosures_by_key(new).items()}),
        table=text.keyed_diff(old_table, new_table),
    )


# --- who a change affects --------------------------------------------------------------------------
def people_affected() -> QuerySet[DataSubject]:
    """Everyone with an active record: not erased, with a service still open, and whose processing is not
    restricted (DPA s.34: while restricted, the data is only stored)."""
    open_services = ServiceEngagement.objects.filter(subject=OuterRef("pk"), status=ServiceEngagement.Status.OPEN)
    return DataSubject.objects.filter(status=DataSubject.Status.ACTIVE, restricted_at__isnull=True).filter(
        pk__in=open_services.values("subject")).order_by("pk")


def people_affected_counts() -> dict[str, int]:
    """For the publishing preview: how many people, and how many also get an SMS."""
    people = people_affected()
    with_phone = SubjectLookup.objects.filter(kind=SubjectLookup.Kind.PHONE, subject__in=people.values("pk"))
    return {"people": people.count(), "email": people.count(), "sms": with_phone.count()}


def languages_of(subject_ids: list) -> dict:
    """Each person's language: the one their latest message was in (they chose it on the form)."""
    latest = Notification.objects.filter(subject=OuterRef("pk")).order_by("-created_at").values("language")[:1]
    return dict(DataSubject.objects.filter(pk__in=subject_ids).annotate(language=Subquery(latest))
                .values_list("pk", "language"))


# --- choices and the register --------------------------------------------------------------------
def disclosure_choices_for(*, subject: DataSubject) -> dict[str, DisclosureChoice]:
    """The newest choice per disclosure key."""
    return {c.disclosure_key: c for c in DisclosureChoice.objects.filter(subject=subject).order_by("created_at")}


def choice_receipts_for(*, subject: DataSubject) -> list[tuple[DisclosureChoice, PolicyDisclosure | None]]:
    """Every choice the person made about a new disclosure, oldest first, with the disclosure as its version
    stated it (two queries)."""
    choices = list(DisclosureChoice.objects.filter(subject=subject).select_related("version").order_by("created_at"))
    stated = {(d.version_id, d.key): d for d in PolicyDisclosure.objects.filter(
        version__in={c.version_id for c in choices}, key__in={c.disclosure_key for c in choices})}
    return [(c, stated.get((c.version_id, c.disclosure_key))) for c in choices]


def disclosures_visible_to(*, subject: DataSubject) -> list[Disclosure]:
    """What the person sees: all but legal-obligation disclosures restricted until a date still to come."""
    today = timezone.localdate()
    return list(Disclosure.objects.filter(subject=subject)
                .filter(Q(restricted_until__isnull=True) | Q(restricted_until__lte=today))
                .select_related("policy_version").order_by("-disclosed_at"))


# --- campaigns -------------------------------------------------------------------------------------
def _unreachable() -> Q:
    return ((Q(email__isnull=True) | Q(email__status=Notification.Status.FAILED))
            & (Q(sms__isnull=True) | Q(sms__status=Notification.Status.FAILED)))


def campaign_call_list(campaign: Campaign | None = None) -> QuerySet[CampaignRecipient]:
    """People no message reached: no address, or every message failed after its retries."""
    rows = CampaignRecipient.objects.filter(_unreachable())
    return rows.filter(campaign=campaign) if campaign else rows


def campaign_progress(campaign: Campaign) -> dict[str, int]:
    counts = {"pending": 0, "sent": 0, "failed": 0}
    rows = (Notification.objects.filter(Q(pk__in=campaign.recipients.values("email"))
                                        | Q(pk__in=campaign.recipients.values("sms")))
            .values("status").annotate(n=Count("pk")))
    for row in rows:
        in_flight = row["status"] in (Notification.Status.PENDING, Notification.Status.SENDING)
        key = "pending" if in_flight else row["status"]
        counts[key] += row["n"]
    counts["messages"] = sum(counts.values())
    counts["people"] = campaign.recipients.count()
    counts["to_call"] = campaign_call_list(campaign).filter(call_outcome="").count()
    counts["percent"] = round(100 * (counts["sent"] + counts["failed"]) / counts["messages"]) if counts["messages"] \
        else (100 if campaign.status == Campaign.Status.FANNED_OUT else 0)
    return counts


def recipients_of_policy_in_force() -> list[dict[str, str]]:
    """The records of processing's recipients: the third parties the policy in force allows disclosures to, with
    where they process the data and the safeguard for a transfer outside Kenya (apps.core.transfers)."""
    policy = policy_in_force()
    if policy is None:
        return []
    return [{"recipient": d.recipient, "kind": d.recipient_category, "country": d.recipient_country,
             "safeguard": d.transfer} for d in policy.disclosures.all()]
