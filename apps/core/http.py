import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(trusted: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in trusted)


def _is_trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def client_ip(request: HttpRequest) -> str:
    """The visitor's address. X-Forwarded-For is believed only from our own proxies
    (BEHIND_PROXY=1 and TRUSTED_PROXIES): a request straight from anyone else is that someone, whatever
    header it carries. Behind our proxies, X-Forwarded-For is read from the right, past every proxy of
    ours; the first address that is not ours is the visitor (anything left of it is theirs to forge)."""
    remote = request.META.get("REMOTE_ADDR", "")
    if not settings.BEHIND_PROXY or not _is_trusted(remote):
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop):
            return hop
    return hops[0] if hops else remote
