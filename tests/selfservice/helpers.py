"""Helpers the self-service tests share: an application sent and its private link, the step-up code."""

import re

from tests.consent.helpers import application_post, send_form

LINK_RE = re.compile(r"https?://[^\s\"<>]+/me/[^\s\"<>]+/")  # a private link in a message


def apply_for_link(client, mailoutbox, **overrides) -> str:
    """Send an application; return the path of the private link from the confirmation email."""
    mailoutbox.clear()
    assert send_form(client, "/apply/", application_post(**overrides)).status_code == 302
    link = LINK_RE.search(mailoutbox[-1].body).group(0)
    mailoutbox.clear()
    return "/" + link.split("/", 3)[3]


def step_up(client, mailoutbox, link: str) -> None:
    client.post(link + "code/", {"action": "send"})
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    assert code not in mailoutbox[-1].subject  # a phone's lock screen shows subjects
    assert client.post(link + "code/?next=data", {"action": "verify", "code": code}).status_code == 302
