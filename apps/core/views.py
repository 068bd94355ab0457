from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from .selectors import health_check_failures


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    failed = health_check_failures()
    if failed:
        return JsonResponse({"status": "fail", "failed": failed}, status=503)
    return JsonResponse({"status": "ok"})


def notice(request: HttpRequest, *, heading: str, text: str, status: int = 200) -> HttpResponse:
    """A page that says one thing: a heading and a sentence (both already translated)."""
    return render(request, "core/notice.html", {"heading": heading, "text": text}, status=status)


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    return notice(request, heading=_("Too many attempts"), status=429, text=_(
        "You have tried this many times in a short while. Nothing was changed. Please wait a little and try again."))
