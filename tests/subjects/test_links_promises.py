"""Referee links: only a link we signed resolves."""

import pytest

from apps.subjects.links import LinkProblem, referee_resolve, referee_token
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db


def tamper_signature(token: str) -> str:
    """Change one character in the middle of the signature (the part after the last colon)."""
    body, signature = token.rsplit(":", 1)
    i = len(signature) // 2
    return f"{body}:{signature[:i]}{'A' if signature[i] != 'A' else 'B'}{signature[i + 1:]}"


def test_a_referee_link_with_a_changed_signature_resolves_to_no_one():
    subject = SubjectFactory()
    token = referee_token(subject, "ref-1")
    assert referee_resolve(token) == (subject, "ref-1", None)
    assert referee_resolve(tamper_signature(token)) == (None, None, LinkProblem.INVALID)
