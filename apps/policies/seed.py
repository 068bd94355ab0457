from django.utils import timezone

from .models import PolicyVersion

BODY = """We collect your name, mobile number, email address, postal address, reference contact details and legal
identification only with your consent, and we explain at the time we ask what each item is for.

We get your personal and professional details directly from you, or from the company (controller) that asked us to
recruit for them.

Personally identifiable information is encrypted with a key that belongs to you alone. Only employees who need to
know can see it, and every time they reveal it, it is recorded.

We permanently delete your data immediately after the service is complete, including the copies in our backups: we
destroy your key, then the data, and keep only a certificate that says when it was deleted and why.

We do not make personal information available to third parties without your permission, except when the law
requires it. If we decide to disclose personal information in a way different from what we told you when we
collected it, we will notify you by email or text and you will be able to opt out.

You can see, correct, download or delete your data, and withdraw your consent, through the private link in your
confirmation message. We will post every change to this policy here; every past version stays available."""


def seed_demo(stdout) -> None:
    _, created = PolicyVersion.objects.get_or_create(
        version="1",
        defaults={"title": "Privacy policy", "summary": "First published version.", "body": BODY,
                  "effective_at": timezone.now(), "published_at": timezone.now()},
    )
    stdout.write(f"policy v1: {'created' if created else 'present'}")
