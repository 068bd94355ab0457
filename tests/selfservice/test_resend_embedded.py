"""Embedded mode (no Redis): /me/resend/ does the same work in the request whatever the address."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.selfservice.models import LinkRequest
from tests.conftest import wait_for
from tests.selfservice.helpers import apply_for_link

pytestmark = pytest.mark.django_db(transaction=True)


def _statements(client, address: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/me/resend/", {"address": address})
    assert response.status_code == 200
    # The statements, without their values (ids, digests and times differ by nature).
    return [re.sub(r"'[^']*'", "?", q["sql"]) for q in queries.captured_queries]


def test_the_request_runs_the_same_queries_for_a_known_and_an_unknown_address(client, mailoutbox, demo_purposes,
                                                                               settings):
    apply_for_link(client, mailoutbox)
    settings.REDIS_URL = ""  # embedded mode
    _statements(client, "someone.else@example.org")  # the page's cached parts are filled by whichever request is first
    mailoutbox.clear()
    known = _statements(client, "amani.wekesa@example.org")
    wait_for(lambda: len(mailoutbox) == 1)  # the lookup ran after the answer, and found the person
    unknown = _statements(client, "nobody@example.org")
    assert known == unknown
    assert not any("subjects_" in sql for sql in known)  # the lookup is not in the request
    assert "/me/" in mailoutbox[0].body and mailoutbox[0].to == ["amani.wekesa@example.org"]
    wait_for(lambda: not LinkRequest.objects.exists())
    assert len(mailoutbox) == 1
