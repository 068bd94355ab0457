"""The public archive of the policy, differences between versions, and the opt-out / opt-in page."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.pagecache import cached_page

from .links import choice_resolve
from .models import DisclosureChoice
from .selectors import (
    POLICY_IN_FORCE,
    data_table_of,
    disclosure_choices_for,
    policies_published,
    policy_in_force,
    policy_previous,
    policy_published,
    versions_diff,
)
from .services import disclosure_choice_record


def _page(request: HttpRequest, policy, marks: dict, in_force) -> HttpResponse:
    language = translation.get_language() or "en"
    rendered = (policy.rendered.get(language) or policy.rendered.get("en") or {}) if policy else {}
    table = data_table_of(policy, language=language) if policy else None
    return render(request, "policies/policy.html", {
        **marks, "policy": policy, "in_force": in_force, "html": rendered.get("html", ""),
        "toc": rendered.get("toc", ""), "table": table, "previous": policy_previous(policy) if policy else None,
    })


# A published version never changes; what a page says about it (in force or not) changes when another is
# published. So each is kept per language and version of the policy in force (apps.core.pagecache).
@require_GET
def policy_current(request: HttpRequest) -> HttpResponse:
    in_force = policy_in_force()  # by the clock too: a version published ahead takes over on its date
    return cached_page(request, name="policy", depends=(POLICY_IN_FORCE,), parts=(in_force and in_force.pk,),
                       render=lambda marks: _page(request, in_force, marks, in_force))


@require_GET
def policy_version(request: HttpRequest, number: int) -> HttpResponse:
    in_force = policy_in_force()

    def page(marks: dict) -> HttpResponse:
        policy = policy_published(number)
        if policy is None:
            raise Http404
        return _page(request, policy, marks, in_force)

    return cached_page(request, name="policy-version", depends=(POLICY_IN_FORCE,),
                       parts=(number, in_force and in_force.pk), render=page)


@require_GET
def policy_version_old_link(request: HttpRequest, number: int) -> HttpResponse:
    return redirect("privacy-policy-version", number=number, permanent=True)


@require_GET
def policy_versions(request: HttpRequest) -> HttpResponse:
    return render(request, "policies/versions.html", {"versions": policies_published(), "in_force": policy_in_force()})


@require_GET
def policy_changes(request: HttpRequest, old: int, new: int) -> HttpResponse:
    a, b = policy_published(old), policy_published(new)
    if a is None or b is None or a.number == b.number:
        raise Http404
    diff = versions_diff(a, b, language=translation.get_language() or "en")
    return render(request, "policies/changes.html", {"diff": diff, "old": a, "new": b})


def _private(response: HttpResponse) -> HttpResponse:
    # The token is a credential: never cached, never sent to another site.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_http_methods(["GET", "POST"])
def policy_choice(request: HttpRequest, token: str) -> HttpResponse:
    """One button: opt out of (or in to) one new disclosure. GET only shows it, so a mail scanner that
    follows links changes nothing; the choice does not touch the person's service."""
    link = choice_resolve(token)
    if link is None:
        return _private(render(request, "policies/choice_invalid.html", status=404))
    recorded = None
    if request.method == "POST":
        _receipt, recorded = disclosure_choice_record(subject=link.subject, version=link.version,
                                                      key=link.disclosure.key, choice=link.choice,
                                                      source=DisclosureChoice.Source.EMAIL_LINK)
    current = disclosure_choices_for(subject=link.subject).get(link.disclosure.key)
    with translation.override(link.language):
        response = render(request, "policies/choice.html", {
            "link": link, "current": current, "recorded": recorded, "done": current is not None
            and current.choice == link.choice, "opting_out": link.choice == DisclosureChoice.Choice.OPTED_OUT,
        })
    return _private(response)
