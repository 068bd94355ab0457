"""The shipped nginx site (deploy/nginx/privacy-portal.conf) reads 21 MB only where the application form posts,
each other place what the app itself accepts there; bodies stay in memory (never in nginx's temporary files);
one address holds at most 4 unfinished uploads, and a silent sender is cut off."""

import time
from pathlib import Path

import pytest

from tests.conftest import _missing

from .nginx_site import NGINX, NginxSite  # the helper module names what the topology test runs

MB = 1024 * 1024


@pytest.fixture
def nginx(tmp_path):
    if not Path(NGINX).exists():
        _missing(f"nginx at {NGINX}")
    site = NginxSite(tmp_path)
    yield site
    site.stop()


def test_each_place_takes_the_bodies_the_app_takes_there_and_no_more(nginx):
    assert nginx.status(nginx.post("/apply/", 20 * MB)) == 200  # an application with two scans
    assert nginx.status(nginx.post("/apply/", 22 * MB, sent=0)) == 413
    assert nginx.status(nginx.post("/contact/", 2 * MB)) == 200
    assert nginx.status(nginx.post("/contact/", 3 * MB, sent=0)) == 413  # no 21 MB outside the application
    assert nginx.status(nginx.post("/me/some-token/", 3 * MB, sent=0)) == 413
    assert nginx.status(nginx.post("/api/v1/handovers", 64 * 1024)) == 200
    assert nginx.status(nginx.post("/api/v1/handovers", 100 * 1024, sent=0)) == 413
    assert nginx.temp_files() == []  # 20 MB held in memory: no ID scan in nginx's temporary files in clear


def test_one_address_holds_at_most_four_unfinished_uploads(nginx):
    held = [nginx.post("/apply/", 20 * MB, sent=MB) for _ in range(4)]
    fifth = nginx.post("/apply/", 20 * MB, sent=0)
    assert nginx.status(fifth) == 429
    for sock in held:
        sock.close()
    time.sleep(0.5)
    assert nginx.status(nginx.post("/apply/", MB)) == 200  # free again once they are gone


def test_all_visitors_together_hold_at_most_forty_unfinished_uploads(nginx):
    held = [nginx.post("/apply/", 20 * MB, sent=MB, source=f"127.0.1.{i // 4 + 1}") for i in range(40)]
    assert nginx.status(nginx.post("/apply/", 20 * MB, sent=0, source="127.0.2.1")) == 429  # a 41st visitor waits
    assert nginx.status(nginx.post("/contact/", MB, source="127.0.2.1")) == 200  # the rest of the site serves
    assert nginx.memory_kib() < 40 * 21 * 1024 + 64 * 1024  # the bound the limits promise
    for sock in held:
        sock.close()


def test_a_sender_that_stops_sending_is_cut_off_after_ten_seconds(nginx):
    stalled = nginx.post("/apply/", 20 * MB, sent=MB)
    started = time.monotonic()
    assert nginx.status(stalled) in (0, 408)  # closed, with or without a 408
    assert time.monotonic() - started < 15
