"""Which of a staff member's second factors a code belongs to (TOTP app, or a one-use backup code)."""

from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice


def has_second_factor(user) -> bool:
    return any(True for _ in devices_for_user(user, confirmed=True))


def device_for_code(*, user, code: str) -> Device | None:
    """The confirmed device that accepts this code, or None. Six digits are tried against the
    authenticator app only, anything else against the backup codes only, so a typo does not
    throttle the other device."""
    code = code.strip().replace(" ", "")
    if not code:
        return None
    model = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    for device in model.objects.devices_for_user(user, confirmed=True):
        allowed, _ = device.verify_is_allowed()
        if allowed and device.verify_token(code):
            return device
    return None
