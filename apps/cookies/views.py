from datetime import datetime

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from apps.core.http import client_ip
from apps.core.pagecache import cached_page, page_mark

from .forms import CookieChoiceForm
from .http import consent_apply
from .models import CookieConsent
from .selectors import CATALOGUE, consent_state, declarations_all
from .services import cookie_consent_record

# The day this site's Global Privacy Control support last changed (the gpc.json "lastUpdate").
GPC_SUPPORT_LAST_UPDATE = "2026-11-25"


CHOSEN_ON_MARK = page_mark("cookies-chosen-on")
ASKED_AGAIN_ON_MARK = page_mark("cookies-asked-again-on")


def _day(moment: datetime | None) -> str:
    return date_format(timezone.localtime(moment), "DATE_FORMAT") if moment else ""


@require_GET
def preferences(request: HttpRequest) -> HttpResponse:
    """The same for every visitor with the same choice (rendered once per language and catalogue version,
    apps.core.pagecache); the days of the visitor's own choice are put in per request."""
    state = consent_state(request)

    def page(marks: dict) -> HttpResponse:
        declarations = declarations_all()
        groups = [(c, [d for d in declarations if d.category_id == c.pk]) for c in state.offered]
        return render(request, "cookies/preferences.html", {
            **marks, "state": state, "groups": groups, "chosen_on": CHOSEN_ON_MARK,
            "asked_again_on": ASKED_AGAIN_ON_MARK})

    return cached_page(request, name="cookies", depends=(CATALOGUE,), render=page, marks={
        CHOSEN_ON_MARK: lambda request: _day(consent_state(request).chosen_at),
        ASKED_AGAIN_ON_MARK: lambda request: _day(consent_state(request).expires_at)})


def safe_next_url(request: HttpRequest, candidate: str | None) -> str:
    """Where to send the visitor back to: a path on this site, never another site or scheme."""
    if (
        candidate
        and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()},
                                            require_https=request.is_secure())
        and not candidate.startswith(reverse("cookies:save"))
    ):
        return candidate
    return reverse("home")


@never_cache
@require_POST
def save(request: HttpRequest) -> HttpResponse:
    state = consent_state(request)
    if not state.available:
        return HttpResponse(_("Cookie choices cannot be saved right now. Please try again later."), status=503)
    form = CookieChoiceForm(request.POST, known={c.slug for c in state.categories})
    if not form.is_valid():
        return HttpResponseBadRequest(_("That cookie choice could not be read. Please try again."))
    gpc = state.gpc or form.cleaned_data["gpc"]
    action = form.consent_action
    requested = form.cleaned_data["categories"]
    if action == CookieConsent.Action.GPC:
        if not (gpc and state.chosen):
            return HttpResponseBadRequest(_("There is no earlier choice for Global Privacy Control to apply to."))
        requested = state.allowed  # GPC only ever takes away from the choice we hold
    consent = cookie_consent_record(
        visitor_id=state.visitor_id, action=action, requested=requested, gpc=gpc,
        ip_address=client_ip(request),
    )
    if "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({
            "allowed": consent.allowed_categories,
            "message": _("Your cookie choices are saved. You can change them at any time in Cookie settings."),
        })
    else:
        response = redirect(safe_next_url(request, form.cleaned_data["next"]), permanent=False)
        response.status_code = 303  # See Other: the browser follows with a GET
    consent_apply(response, request=request, consent=consent)
    return response


@require_GET
def gpc_json(request: HttpRequest) -> JsonResponse:
    """Declares Global Privacy Control support (https://privacycg.github.io/gpc-spec/#gpc-support-resource)."""
    response = JsonResponse({"gpc": True, "lastUpdate": GPC_SUPPORT_LAST_UPDATE})
    response["Cache-Control"] = "public, max-age=86400"
    return response
