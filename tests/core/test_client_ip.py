"""Per-IP limits count the visitor, and a visitor cannot choose which address they count as."""

import pytest

from apps.core.http import client_ip


@pytest.fixture
def behind_proxy(settings) -> None:
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]


def test_a_request_through_our_proxy_counts_the_address_the_proxy_saw(rf, behind_proxy):
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7")
    assert client_ip(request) == "203.0.113.7"  # the left entry is the visitor's to forge


def test_a_chain_of_our_proxies_is_walked_past(rf, behind_proxy):
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7, 10.0.0.9")
    assert client_ip(request) == "203.0.113.7"


def test_a_forged_header_sent_straight_to_the_app_is_ignored(rf, behind_proxy):
    request = rf.get("/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert client_ip(request) == "198.51.100.4"


def test_without_a_proxy_the_header_means_nothing(rf, settings):
    settings.BEHIND_PROXY = False
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert client_ip(request) == "127.0.0.1"


@pytest.mark.django_db
def test_forging_the_header_does_not_escape_the_rate_limit(client, demo_purposes, settings, behind_proxy):
    settings.RATELIMIT_ENABLE = True
    statuses = [client.post("/me/resend/", {"address": f"x{i}@example.org"}, REMOTE_ADDR="198.51.100.4",
                            HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(7)]
    assert statuses[-1] == 429


@pytest.mark.parametrize("forwarded", ["unknown", "203.0.113.7, not-an-address", "_hidden", "999.1.1.1"])
def test_an_entry_that_is_not_an_address_counts_as_the_proxy(rf, behind_proxy, forwarded):
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == "127.0.0.1"


def test_an_address_with_a_port_counts_as_the_address(rf, behind_proxy):
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="[2001:db8::7]:443")
    assert client_ip(request) == "2001:db8::7"
    request = rf.get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.7:5123")
    assert client_ip(request) == "203.0.113.7"


@pytest.mark.django_db
def test_a_rate_limited_page_answers_a_non_address_from_our_proxy_without_an_error(client, demo_purposes, settings,
                                                                                behind_proxy):
    settings.RATELIMIT_ENABLE = True
    response = client.post("/me/resend/", {"address": "x@example.org"}, REMOTE_ADDR="127.0.0.1",
                           HTTP_X_FORWARDED_FOR="unknown")
    assert response.status_code < 500


@pytest.mark.django_db
def test_x_forwarded_proto_is_believed_only_from_our_proxies(client, demo_purposes, settings, behind_proxy):
    settings.SECURE_SSL_REDIRECT = True
    straight = client.get("/privacy/", REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_PROTO="https")
    assert straight.status_code == 301 and straight["Location"].startswith("https://")  # not believed
    proxied = client.get("/privacy/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    assert proxied.status_code == 200
    settings.BEHIND_PROXY = False
    assert client.get("/privacy/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_PROTO="https").status_code == 301
