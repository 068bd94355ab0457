from django.conf import settings
from django.core.checks import Error, register

from .transfers import TransferRefused, transfer_check


@register()
def check_registration(app_configs, **kwargs) -> list[Error]:
    """Fail closed: in production the site does not start without the controller's ODPC registration number
    (Data Protection Act 2019, s.18), which every notice, receipt and certificate names."""
    if settings.DEBUG or settings.CONTROLLER_REGISTRATION:
        return []
    return [Error("CONTROLLER_REGISTRATION is not set: the controller's certificate of registration number with the "
                  "Office of the Data Protection Commissioner (Data Protection Act 2019, s.18).",
                  hint="Set CONTROLLER_REGISTRATION (and PROCESSOR_REGISTRATION where we are registered as a "
                  "processor too) to the number on the certificate of registration.", id="core.E002")]


@register()
def check_processors_abroad(app_configs, **kwargs) -> list[Error]:
    """Fail closed: a processor of ours outside Kenya without a recorded safeguard (Act s.48) stops start-up, so
    nothing is ever sent to it."""
    errors = []
    for name, processor in settings.DATA_PROCESSORS.items():
        try:
            transfer_check(country=processor["country"], safeguard=processor["safeguard"])
        except TransferRefused:
            errors.append(Error(
                f"The {name} processor is outside Kenya ({processor['country']}) and no safeguard for the transfer "
                "is recorded (Data Protection Act 2019, s.48).",
                hint=f"Set {name.upper()}_PROCESSOR_SAFEGUARD to adequacy, appropriate-safeguards or consent, or "
                f"{name.upper()}_PROCESSOR_COUNTRY to KE if it processes the data in Kenya.", id="core.E003"))
    return errors
