"""Signing staff in for tests that are not about signing in (those go through the real login form)."""

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


def sign_in_verified(client: Client, user) -> None:
    """As if the user had signed in with their password and a TOTP code."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="authenticator app", defaults={"confirmed": True})
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def current_code(device: TOTPDevice) -> str:
    """The code the person's authenticator app shows now."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


def confirmed_action(client: Client, url: str, data: dict, **extra):
    """Run an admin action that erases: post it, read the confirmation page's numbers, confirm them."""
    import re

    page = client.post(url, data).content.decode()
    match = re.search(r'name="expected" value="([^"]+)"', page)
    assert match, "no confirmation page"
    return client.post(url, {**data, "confirmed": "yes", "expected": match.group(1), **extra}, follow=True)
