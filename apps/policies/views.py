from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from .models import PolicyVersion
from .selectors import policies_published, policy_in_force


@require_GET
def policy_current(request: HttpRequest) -> HttpResponse:
    return render(request, "policies/policy.html", {"policy": policy_in_force(), "versions": policies_published()})


@require_GET
def policy_version(request: HttpRequest, version: str) -> HttpResponse:
    policy = get_object_or_404(PolicyVersion, version=version, published_at__isnull=False)
    return render(request, "policies/policy.html", {"policy": policy, "versions": policies_published()})
