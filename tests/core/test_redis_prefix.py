"""Two deployments on one Redis database (staging and production, two sites) never meet: every key either writes
starts with its REDIS_KEY_PREFIX (the database's name unless set): cache entries and rate-limit counters,
heartbeats and the notes of liveness, the broker's queues."""

import uuid

import pytest
import redis
from celery import Celery
from django.conf import settings

from apps.core import liveness
from apps.core.cache import RedisCacheWithLocalFallback
from tests.conftest import _missing

pytestmark = pytest.mark.real_services


@pytest.fixture
def shared_redis() -> str:
    if not settings.REDIS_URL:
        _missing("REDIS_URL (one Redis database the two sites share)")
    return settings.REDIS_URL


def _site_cache(url: str, prefix: str) -> RedisCacheWithLocalFallback:
    return RedisCacheWithLocalFallback(url, {"KEY_PREFIX": prefix, "OPTIONS": {}})


def _site_broker(url: str, prefix: str) -> Celery:
    app = Celery(f"site-{prefix}", broker=url, set_as_current=False)
    app.conf.broker_transport_options = {"global_keyprefix": f"{prefix}:"}
    return app


def test_the_cache_and_the_rate_limit_counters_of_two_sites_do_not_meet(shared_redis):
    run = uuid.uuid4().hex[:8]
    staging, production = _site_cache(shared_redis, f"staging-{run}"), _site_cache(shared_redis, f"production-{run}")
    staging.set("content-version:purposes", "v-staging")
    assert production.get("content-version:purposes") is None  # production never shows staging's content
    production.set("content-version:purposes", "v-production")
    assert staging.get("content-version:purposes") == "v-staging"
    for _ in range(5):  # five form posts on staging from one address
        staging.add("rl:form:203.0.113.7", 0)
        staging.incr("rl:form:203.0.113.7")
    assert production.get("rl:form:203.0.113.7") is None  # counted on staging only
    for cache in (staging, production):
        cache.delete("content-version:purposes")
        cache.delete("rl:form:203.0.113.7")


def test_the_heartbeats_of_one_sites_workers_say_nothing_about_the_others(shared_redis, settings):
    run = uuid.uuid4().hex[:8]
    settings.REDIS_KEY_PREFIX = f"staging-{run}"
    client = redis.Redis.from_url(shared_redis)
    client.set(f"staging-{run}:alive:worker-1", "1", ex=30)  # a staging worker's heartbeat
    assert liveness.processes_alive({"worker-1"}) in ({"worker-1"}, None)
    assert liveness.any_alive(client)
    settings.REDIS_KEY_PREFIX = f"production-{run}"
    assert not liveness.any_alive(client)  # production's /healthz does not count staging's workers
    assert liveness.processes_alive({"worker-1"}) in (set(), None)
    client.delete(f"staging-{run}:alive:worker-1")


def test_the_broker_queues_of_two_sites_do_not_meet(shared_redis):
    run = uuid.uuid4().hex[:8]
    staging, production = _site_broker(shared_redis, f"staging-{run}"), _site_broker(shared_redis, f"production-{run}")
    with staging.connection_for_write() as connection:
        queue = connection.SimpleQueue("celery")
        queue.put({"task": "a staging job"})
        queue.close()
    with production.connection_for_read() as connection:
        queue = connection.SimpleQueue("celery")
        with pytest.raises(queue.Empty):  # a production worker never takes staging's job
            queue.get(block=False)
        queue.close()
    client = redis.Redis.from_url(shared_redis)
    assert client.llen(f"staging-{run}:celery") == 1  # still there, for staging's workers
    assert not client.exists(f"production-{run}:celery")
    client.delete(f"staging-{run}:celery")


def test_every_key_of_this_deployment_carries_its_prefix():
    assert settings.CACHES["default"].get("KEY_PREFIX", settings.REDIS_KEY_PREFIX) == settings.REDIS_KEY_PREFIX
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] == f"{settings.REDIS_KEY_PREFIX}:"
