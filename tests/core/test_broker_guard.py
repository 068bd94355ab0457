"""kombu 5.7.0 raises AttributeError from QoS.restore_unacked when the broker connection is already gone
(celery/kombu#970, #582); celery then stops the worker with an "Unrecoverable error". The guard in
privacy_portal.celery keeps the worker alive: the messages come back after the visibility timeout."""

import os

import pytest
from kombu import Connection

from privacy_portal.celery import _ack, _restore_unacked
from tests.conftest import _missing

pytestmark = pytest.mark.real_services


@pytest.fixture
def channel():
    """A channel holding one unacknowledged message, whose broker connection then drops."""
    if not os.environ.get("REDIS_URL"):
        _missing("Redis (REDIS_URL)")
    channel = Connection(os.environ["REDIS_URL"]).channel()
    channel.qos._delivered["a-delivery-tag"] = True
    channel.connection.client = None  # what a dropped broker connection leaves behind
    channel._pool = None
    yield channel
    channel.qos._on_collect.cancel()  # no second restore when the test process exits
    channel.qos._delivered.clear()


def test_kombus_own_restore_fails_on_a_connection_that_is_gone(channel):
    with pytest.raises(AttributeError, match="hostname"):
        _restore_unacked(channel.qos)


def test_the_guarded_restore_does_not_raise_and_lets_the_visibility_timeout_hand_them_back(channel, caplog):
    assert channel.qos.restore_unacked() is None
    assert channel.qos._delivered == {}
    assert "1 unacknowledged message(s)" in caplog.text


def test_acknowledging_a_finished_job_after_the_connection_dropped_does_not_raise(channel, caplog):
    with pytest.raises(AttributeError):
        _ack(channel.qos, "a-delivery-tag")  # kombu's own
    channel.qos.ack("a-delivery-tag")
    channel.qos._flush()
    assert "a-delivery-tag" not in channel.qos._delivered  # forgotten here; Redis hands it back later
    assert "could be acknowledged" in caplog.text
