"""/healthz sees a dead worker (its heartbeats stop) and says so by name, while /healthz/ready, what a load
balancer asks, keeps the web host in service."""

import pytest
import requests

from apps.core.liveness import HEARTBEAT_TTL
from tests.conftest import wait_for

pytestmark = pytest.mark.real_services


def test_healthz_names_the_workers_once_the_last_worker_is_gone_and_the_web_host_stays_ready(fault_stack):
    site = fault_stack.site
    checks = wait_for(lambda: requests.get(f"{site.url}/healthz", timeout=5).json()["checks"], timeout=10)
    assert checks["workers"] == "ok" and checks["broker"] == "ok" and checks["database"] == "ok"
    assert checks["beat"] == "fail"  # no beat runs in this stack

    fault_stack.worker.kill()
    wait_for(lambda: requests.get(f"{site.url}/healthz", timeout=5).json()["checks"]["workers"] == "fail",
             timeout=HEARTBEAT_TTL + 10, interval=1)
    assert requests.get(f"{site.url}/healthz/ready", timeout=5).status_code == 200
    assert requests.get(f"{site.url}/healthz/live", timeout=5).status_code == 200

    fault_stack.worker.start()
    wait_for(lambda: requests.get(f"{site.url}/healthz", timeout=5).json()["checks"]["workers"] == "ok",
             timeout=30, interval=1)
