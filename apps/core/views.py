from django.contrib import admin
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import datamap
from .selectors import health_check_failures


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    failed = health_check_failures()
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
        "columns": datamap.COLUMNS,
    })
