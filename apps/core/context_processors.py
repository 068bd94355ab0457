from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    return {
        "controller_name": settings.CONTROLLER_NAME,
        "privacy_officer_email": settings.PRIVACY_OFFICER_EMAIL,
        # The ODPC registration numbers (Data Protection Act 2019, s.18), on the policy and every form's notice.
        "controller_registration": settings.CONTROLLER_REGISTRATION,
        "processor_registration": settings.PROCESSOR_REGISTRATION,
        "minimum_applicant_age": settings.MINIMUM_APPLICANT_AGE,
        # Where the language switch and the cookie banner send the visitor back to (called when rendered); a
        # page rendered for the page cache has a mark here instead (apps.core.pagecache).
        "current_path": request.get_full_path,
    }
