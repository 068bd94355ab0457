from django.conf import settings
from django.core.checks import Error, register


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
