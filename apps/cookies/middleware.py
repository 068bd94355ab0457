"""Keeps every response true to the visitor's cookie choice."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_vary_headers

from apps.core.http import client_ip

from . import consent_cookie
from .http import consent_apply, django_cookie_names, refused_cookies_delete, refused_patterns
from .models import CookieConsent
from .selectors import consent_state, consent_state_is_loaded
from .services import cookie_consent_record


class CookieConsentMiddleware:
    """After the view has run:

    - a page that rendered according to the choice varies on Cookie and Sec-GPC;
    - when a GPC signal overrode an earlier choice, the override is logged once and written into
      the visitor's cookie;
    - declared cookies of refused categories that the browser sent are deleted.

    Nothing is computed for requests that carry only Django's own cookies and render no gated content.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if consent_cookie.is_written(response):
            return response  # the view saved a new choice and applied it itself
        rendered_with_state = consent_state_is_loaded(request)
        if rendered_with_state:
            patch_vary_headers(response, ("Cookie", "Sec-GPC"))
        if not rendered_with_state and not set(request.COOKIES) - django_cookie_names():
            return response
        state = consent_state(request)
        if not state.available:
            return response
        if state.gpc_overridden:
            consent = cookie_consent_record(
                visitor_id=state.visitor_id, action=CookieConsent.Action.GPC, requested=state.allowed,
                gpc=True, ip_address=client_ip(request),
            )
            # Made on the visitor's behalf: their choice still lasts from when they made it, not from now.
            consent_apply(response, request=request, consent=consent, chosen_at=state.chosen_at)
        else:
            refused_cookies_delete(response, request=request, patterns=refused_patterns(state))
        return response
