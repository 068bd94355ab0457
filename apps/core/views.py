from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import datamap
from .selectors import health_checks, readiness_failures


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The whole deployment, for monitoring: each named check ("ok" or "fail"); 503 if any failed."""
    checks = health_checks()
    failed = [name for name, passed in checks.items() if not passed]
    body = {"status": "fail" if failed else "ok", "checks": {name: "ok" if passed else "fail"
                                                            for name, passed in checks.items()}}
    if failed:
        body["failed"] = failed
    return JsonResponse(body, status=503 if failed else 200)


@never_cache
@require_GET
def liveness(request: HttpRequest) -> JsonResponse:
    """This process answers (a supervisor restarts it when it does not). Touches nothing else."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readiness(request: HttpRequest) -> JsonResponse:
    """This web process can serve (for the load balancer): its database answers. A dead worker or beat, the
    broker or a full disk do not make it unready: every web host shares them."""
    failed = readiness_failures()
    if failed:
        return JsonResponse({"status": "fail", "failed": failed}, status=503)
    return JsonResponse({"status": "ok"})


def notice(request: HttpRequest, *, heading: str, text: str, status: int = 200,
           context: dict | None = None) -> HttpResponse:
    """A page that says one thing: a heading and a sentence (both already translated). `context`: the marks of a
    page rendered for the page cache (apps.core.pagecache)."""
    return render(request, "core/notice.html", {**(context or {}), "heading": heading, "text": text}, status=status)


def rate_limited(request: HttpRequest, exception: Exception) -> HttpResponse:
    return notice(request, heading=_("Too many attempts"), status=429, text=_(
        "You have tried this many times in a short while. Nothing was changed. Please wait a little and try again."))


def records_of_processing_page(request: HttpRequest) -> HttpResponse:
    """For the privacy officer (any staff member, inside the admin): generated from the personal-data map."""
    rows = datamap.records_of_processing()
    if request.GET.get("format") == "csv":
        response = HttpResponse(datamap.render_records(rows, format="csv"), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="records-of-processing.csv"'
        return response
    return render(request, "admin/core/records_of_processing.html", {
        **admin.site.each_context(request), "title": _("Records of processing"), "rows": rows,
        "columns": datamap.COLUMNS, "controller_line": datamap.controller_line(),
        "recipients": datamap.recipients(), "recipient_columns": datamap.RECIPIENT_COLUMNS,
    })
