from apps.audit.services import Actor

from .models import PolicyDisclosure, PolicyVersion
from .services import policy_version_publish

BODY = """## What we collect and how

We collect your name, mobile number, email address, postal address, reference contact details and legal
identification only with your consent, and we explain at the time we ask what each item is for.

We get your personal and professional details directly from you, or from the company (controller) that asked us to
recruit for them.

## How we protect it

Personally identifiable information is encrypted with a key that belongs to you alone. Only employees who need to
know can see it, and every time they reveal it, it is recorded.

## How long we keep it

We permanently delete your data immediately after the service is complete, including the copies in our backups: we
destroy your key, then the data, and keep only a certificate that says when it was deleted and why.

## Who receives it

We do not make personal information available to third parties without your permission, except when the law
requires it. If we decide to disclose personal information in a way different from what we told you when we
collected it, we will notify you by email or text and you will be able to opt out.

## Your rights

You can see, correct, download or delete your data, and withdraw your consent, through the private link in your
confirmation message. We will post every change to this policy here; every past version stays available."""

DISCLOSURES = [
    {"key": "hiring-company", "recipient": "The client company hiring for the job",
     "recipient_category": "Employer (client company)", "purpose": "deciding whether to hire you",
     "purpose_slug": "share-with-employer", "data_categories": ["identity", "contact", "address", "referee"],
     "compatible": True},
]


def seed_demo(stdout) -> None:
    if PolicyVersion.objects.filter(number=1).exists():
        stdout.write("policy v1: present")
        return
    version = PolicyVersion.objects.create(title="Privacy policy", summary="First published version.", body=BODY)
    for data in DISCLOSURES:
        PolicyDisclosure.objects.create(version=version, **data)
    policy_version_publish(version=version, actor=Actor.system("seed"))
    stdout.write("policy v1: created")
