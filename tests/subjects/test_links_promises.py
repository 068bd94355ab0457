"""Referee links: only a link we signed resolves."""

import uuid

import pytest

from apps.subjects.links import LinkProblem, referee_resolve, referee_token
from tests.factories import SubjectFactory
from tests.subjects.helpers import tamper_signature

pytestmark = pytest.mark.django_db

REFEREE_ID = uuid.uuid4().hex


def test_a_referee_link_with_a_changed_signature_resolves_to_no_one():
    subject = SubjectFactory()
    token = referee_token(subject, REFEREE_ID, "Amani Wekesa")
    assert referee_resolve(token) == (subject, REFEREE_ID, None)
    assert referee_resolve(tamper_signature(token)) == (None, None, LinkProblem.INVALID)
