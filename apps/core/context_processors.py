from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {
        "controller_name": settings.CONTROLLER_NAME,
        "privacy_officer_email": settings.PRIVACY_OFFICER_EMAIL,
    }
