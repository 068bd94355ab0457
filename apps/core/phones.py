"""One way to write a phone number for people to read: international, grouped in threes for Kenyan
mobiles ("+254 712 345 678"). libphonenumber's INTERNATIONAL format writes a Kenyan mobile
"+254 712 345678"; we regroup the nine national digits the way Kenyans write them. Other countries keep
libphonenumber's grouping. Machines (SMS providers, exports, blind indexes) keep E.164."""

import phonenumbers


def phone_format(value: object) -> str:
    """A PhoneNumber, an E.164 string or anything parseable as a Kenyan number; "" for nothing. A value
    that does not parse is returned as it was (it is shown, never guessed at)."""
    text = str(value or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, "KE")
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_possible_number(number):
        return text
    national = str(number.national_number)
    if number.country_code == 254 and len(national) == 9:
        return f"+254 {national[:3]} {national[3:6]} {national[6:]}"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def phone_mask(value: object) -> str:
    """Enough to recognise one's own number: the country code, the first digit and the last two."""
    shown = phone_format(value)
    if not shown.startswith("+"):
        return ""
    code, _, rest = shown.partition(" ")
    digits = [i for i, ch in enumerate(rest) if ch.isdigit()]
    keep = set(digits[:1] + digits[-2:])
    return code + " " + "".join(ch if (i in keep or not ch.isdigit()) else "•" for i, ch in enumerate(rest))
