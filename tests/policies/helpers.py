from datetime import datetime

from apps.audit.services import Actor
from apps.policies.models import PolicyDisclosure, PolicyVersion
from apps.policies.seed import DISCLOSURES
from apps.policies.services import Published, policy_version_publish

SYSTEM = Actor.system("test")
HIRING = DISCLOSURES[0]  # as version 1 (the seed) allows it
BACKGROUND = {"key": "background-check", "recipient": "Uhakiki Vetting Ltd", "recipient_category": "Vetting agency",
              "purpose": "checking your certificates and criminal record", "purpose_slug": "recruitment",
              "data_categories": ["identity", "government-id"], "compatible": True}
TALENT_POOL = {"key": "talent-pool", "recipient": "Partner recruiters", "recipient_category": "Recruitment agencies",
               "purpose": "offering you other jobs", "purpose_slug": "marketing", "data_categories": ["identity"],
               "compatible": False}


def draft(*, body: str = "## Who receives it\n\nWe share only what we must.", summary: str = "A change.",
          disclosures: list[dict] | None = None, effective_at: datetime | None = None) -> PolicyVersion:
    version = PolicyVersion.objects.create(title="Privacy policy", summary=summary, body=body,
                                           effective_at=effective_at)
    for data in disclosures if disclosures is not None else [HIRING]:
        PolicyDisclosure.objects.create(version=version, **data)
    return version


def publish(**kwargs) -> Published:
    return policy_version_publish(version=draft(**kwargs), actor=SYSTEM)
