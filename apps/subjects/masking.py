from phonenumber_field.phonenumber import PhoneNumber

from apps.core.phones import phone_mask


def mask(value: object) -> str:
    """Enough to recognise one's own data, not enough to learn someone else's."""
    if isinstance(value, PhoneNumber):
        return phone_mask(value)
    text = str(value or "")
    if not text:
        return ""
    if "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}•••@{domain}"
    if len(text) <= 4:
        return "•" * len(text)
    return f"{text[:2]}{'•' * min(8, len(text) - 4)}{text[-2:]}"
