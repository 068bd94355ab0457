"""Who sent a request, and over what: X-Forwarded-For and X-Forwarded-Proto are believed only from our own
proxies (BEHIND_PROXY=1 and TRUSTED_PROXIES), and only when they hold what they should."""

import ipaddress
import logging
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

logger = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def _parse(value: str) -> Address | None:
    """An address as a proxy may write it ("203.0.113.7", "203.0.113.7:5123", "[2001:db8::1]:443"), or None."""
    value = value.strip()
    if value.startswith("[") and "]" in value:
        value = value[1:value.index("]")]
    elif value.count(":") == 1:  # IPv4 with a port (an IPv6 address has two colons at least)
        value = value.partition(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _is_trusted(address: Address | None) -> bool:
    return address is not None and any(address in network
                                       for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def from_our_proxy(request: HttpRequest) -> bool:
    """Whether the request came straight from one of our reverse proxies (BEHIND_PROXY=1 and TRUSTED_PROXIES)."""
    return settings.BEHIND_PROXY and _is_trusted(_parse(request.META.get("REMOTE_ADDR", "")))


def client_ip(request: HttpRequest) -> str:
    """The visitor's address. X-Forwarded-For is believed only from our own proxies: a request straight from
    anyone else is that someone, whatever header it carries. Behind our proxies, X-Forwarded-For is read from
    the right, past every proxy of ours; the first address that is not ours is the visitor (anything left of
    it is theirs to forge). An entry there that is not an IP address (a misconfigured proxy) is not believed:
    the request counts as the proxy's own address, so a limit is shared rather than escaped, never a 500."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not from_our_proxy(request):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            logger.warning("X-Forwarded-For from a trusted proxy holds an entry that is not an IP address; "
                           "counting the request as the proxy's")
            return remote
        if not _is_trusted(address):
            return str(address)
    first = _parse(hops[0]) if hops else None
    return str(first) if first is not None else remote


class ForwardedProtoMiddleware:
    """The request is https when it came over https to us, or when one of our proxies says so with
    X-Forwarded-Proto: https. From anyone else the header means nothing (Django's SECURE_PROXY_SSL_HEADER
    would believe it from any client that reaches the app)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        proto = request.META.get("HTTP_X_FORWARDED_PROTO", "").split(",")[0].strip().lower()
        if proto == "https" and from_our_proxy(request):
            request.META["wsgi.url_scheme"] = "https"
        return self.get_response(request)
