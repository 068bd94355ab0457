"""The pages behind a private link. Every page that can show personal data is no-store and
never sends its address to another site; showing data in clear needs a code sent to the address
on file."""

import functools
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_ratelimit.core import is_ratelimited
from django_ratelimit.decorators import ratelimit

from apps.consent.models import ConsentRecord, Purpose
from apps.consent.receipts import receipt_filename, receipt_sign
from apps.consent.selectors import consents_current_for
from apps.consent.services import (
    CollectionContext,
    consent_give_again,
    consent_withdraw,
    consent_withdraw_and_end_service,
    purpose_notice_current,
)
from apps.core.http import client_ip
from apps.core.uploads import accepts_uploads
from apps.core.views import notice
from apps.policies.links import policy_changes_for
from apps.policies.models import DisclosureChoice
from apps.policies.receipts import choice_receipt_filename, choice_receipt_sign
from apps.policies.selectors import choice_receipts_for, disclosures_visible_to
from apps.recruitment.forms import FORM_VERSIONS
from apps.recruitment.intake import referee_remove
from apps.subjects.links import LinkProblem, link_resolve, referee_name_told, referee_resolve
from apps.subjects.masking import mask
from apps.subjects.models import DataSubject, IdentityDocument, PersonalRecord
from apps.subjects.selectors import engagements_of
from apps.vault.services import KeyDestroyed

from .forms import CorrectionForm, ResendForm, StepUpForm
from .services import (
    StepUpResult,
    data_export_archive,
    engagements_keep,
    link_request_create,
    links_sign_out,
    record_correct,
    stepup_issue,
    stepup_tries_left,
    stepup_verify,
    subject_data_viewed,
    subject_delete_now,
)

PROBLEM_STATUS = {LinkProblem.INVALID: 404, LinkProblem.EXPIRED: 410, LinkProblem.REVOKED: 410,
                  LinkProblem.ERASED: 410}


def private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    # The token must never reach another site in a Referer. "no-referrer" would do that too, but
    # browsers then send `Origin: null` on our own form posts and CSRF protection refuses them;
    # "same-origin" sends the Referer only to us.
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def link_problem(request: HttpRequest, problem: LinkProblem) -> HttpResponse:
    return private(render(request, "selfservice/link_problem.html", {"problem": problem.value},
                          status=PROBLEM_STATUS[problem]))


def with_subject(view: Callable) -> Callable:
    """Resolve the token in the URL to one active person, or answer with a clear 4xx page."""

    @ratelimit(key="ip", rate=settings.TOKEN_PAGE_RATE, block=True)
    @functools.wraps(view)
    def wrapper(request: HttpRequest, token: str, *args, **kwargs) -> HttpResponse:
        resolved = link_resolve(token)
        if resolved.problem:
            return link_problem(request, resolved.problem)
        request.subject = resolved.subject
        request.token = token
        try:
            return private(view(request, resolved.subject, *args, **kwargs))
        except KeyDestroyed:  # met between the key's destruction and the rows' deletion: erased already
            return link_problem(request, LinkProblem.ERASED)

    return wrapper


def _stepup_key(subject: DataSubject) -> str:
    return f"stepup:{subject.pk}"


def stepped_up(request: HttpRequest, subject: DataSubject) -> bool:
    """A code was verified in this browser lately, for the link version still in force: signing out
    all links, an email change or a lock ends every step-up made before it."""
    state = request.session.get(_stepup_key(subject))
    if not isinstance(state, dict) or state.get("v") != subject.link_version:
        return False
    return timezone.now().timestamp() < state.get("until", 0)


def needs_stepup(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, subject: DataSubject, *args, **kwargs) -> HttpResponse:
        if not stepped_up(request, subject):
            return redirect(reverse("selfservice:stepup", args=[request.token]) + f"?next={view.__name__}")
        return view(request, subject, *args, **kwargs)

    return wrapper


def _context(request: HttpRequest, notices: tuple[tuple[str, int], ...] = ()) -> CollectionContext:
    return CollectionContext(collection_point="self-service", form_version=FORM_VERSIONS["apply"],
                             source=ConsentRecord.Source.SELF_SERVICE, ip=client_ip(request),
                             user_agent=request.META.get("HTTP_USER_AGENT", "")[:512], notices=notices)


def _page(request: HttpRequest, subject: DataSubject, template: str, status: int = 200, **context) -> HttpResponse:
    return render(request, template, {"subject": subject, "token": request.token, **context}, status=status)


# --- pages ---------------------------------------------------------------------------------------
@with_subject
def home(request: HttpRequest, subject: DataSubject) -> HttpResponse:
    record = PersonalRecord.objects.filter(subject=subject).first()
    masked = []
    if record:
        masked = [(_("Full name"), mask(record.full_name)), (_("Email address"), mask(record.email)),
                  (_("Mobile number"), mask(record.mobile))]
        if record.address:
            masked.append((_("Address"), mask(record.address)))
        if record.legal_id_number:
            masked.append((_("ID number"), mask(record.legal_id_number)))
        for referee in record.referees:
            masked.append((_("Referee"), mask(referee.get("name"))))
        if record.experience:
            masked.append((_("Work experience"), mask(record.experience)))
    consents = consents_current_for(subject=subject)
    receipts = ConsentRecord.objects.filter(subject=subject).select_related("purpose", "policy_version", "notice")
    engagements = engagements_of(subject=subject)
    kinds = list(IdentityDocument.objects.filter(subject=subject).values_list("kind", flat=True))
    return _page(request, subject, "selfservice/home.html", masked=masked, receipts=receipts,
                 applications=[e for e in engagements if e.vacancy_id],
                 cvs=kinds.count(IdentityDocument.Kind.CV),
                 policy_changes=policy_changes_for(subject=subject, language=get_language()),
                 disclosures=disclosures_visible_to(subject=subject),
                 choice_receipts=choice_receipts_for(subject=subject),
                 given=[c for c in consents.values() if c.action == ConsentRecord.Action.GIVEN],
                 withdrawn=[c for c in consents.values() if c.action == ConsentRecord.Action.WITHDRAWN
                            and not c.purpose.required and c.purpose.active],
                 documents=kinds.count(IdentityDocument.Kind.ID_SCAN),
                 engagements=[e for e in engagements if not e.vacancy_id],
                 expiring=any(e.is_open and e.retention_notice_at for e in engagements),
                 stepped_up=stepped_up(request, subject))


@require_http_methods(["GET", "POST"])
@with_subject
def stepup(request: HttpRequest, subject: DataSubject) -> HttpResponse:
    form = StepUpForm()
    next_page = request.GET.get("next", "data")
    if next_page not in {"data", "correct", "export", "delete", "home"}:
        next_page = "data"
    status = 200
    record = PersonalRecord.objects.get(subject=subject)
    # Where the code goes, partly hidden: the person recognises their own address, a forwarded link learns nothing.
    destinations = {"email": mask(record.email), "sms": mask(record.mobile) if record.mobile else ""}
    if request.method == "POST" and request.POST.get("action") == "send":
        # Per person, not per address: a forwarded link used from many addresses gets no more codes.
        if is_ratelimited(request, group="stepup-send", key=lambda group, req: str(subject.pk),
                          rate=settings.STEPUP_SEND_RATE, increment=True):
            messages.error(request, _("We have sent several codes in the last hour. Please use the newest one, "
                                      "or wait an hour before asking again."))
        else:
            channel = "sms" if request.POST.get("channel") == "sms" and record.mobile else "email"
            stepup_issue(subject=subject, channel=channel, language=get_language())
            messages.info(request, _("We have sent a 6-digit code to %(destination)s. It is valid for %(minutes)s "
                                     "minutes.") % {"destination": destinations[channel],
                                                    "minutes": settings.STEPUP_CODE_MINUTES})
        return redirect(reverse("selfservice:stepup", args=[request.token]) + f"?next={next_page}")
    if request.method == "POST":
        form = StepUpForm(request.POST)
        if form.is_valid():
            result = stepup_verify(subject=subject, code=form.cleaned_data["code"], language=get_language())
            if result is StepUpResult.OK:
                until = timezone.now() + timedelta(minutes=settings.STEPUP_SESSION_MINUTES)
                request.session.cycle_key()
                request.session[_stepup_key(subject)] = {"until": until.timestamp(), "v": subject.link_version}
                return redirect("selfservice:" + next_page, token=request.token)
            if result is StepUpResult.LOCKED:
                return private(notice(request, status=403, heading=_("This link is locked"), text=_(
                    "Too many wrong codes were tried with this link, so it no longer works. We have emailed you "
                    "how to get a new one: ask for it on the “Get a new private link” page.")))
            form.add_error("code", _stepup_problem(result, subject))
        status = 400
    return _page(request, subject, "selfservice/stepup.html", form=form, next=next_page,
                 has_mobile=bool(record.mobile), destinations=destinations, status=status)


def _stepup_problem(result: StepUpResult, subject: DataSubject) -> str:
    """What the code field says after a code that did not open the data."""
    if result is StepUpResult.WRONG:
        left, link_ends = stepup_tries_left(subject=subject)
        if link_ends:
            return ngettext("That code is not right. Check the message and try again: %(n)s more try, then this "
                            "link stops working and we email you how to get a new one.",
                            "That code is not right. Check the message and try again: %(n)s more tries, then this "
                            "link stops working and we email you how to get a new one.", left) % {"n": left}
        return ngettext("That code is not right. Check the message and try again: %(n)s more try, then ask for a "
                        "new code.",
                        "That code is not right. Check the message and try again: %(n)s more tries, then ask for "
                        "a new code.", left) % {"n": left}
    return {StepUpResult.EXPIRED: _("This code can no longer be used (too old, or too many tries). Ask for a new "
                                    "code."),
            StepUpResult.NONE: _("Ask for a code first.")}[result]


@with_subject
@needs_stepup
def data(request: HttpRequest, subject: DataSubject) -> HttpResponse:
    record = get_object_or_404(PersonalRecord, subject=subject)
    subject_data_viewed(subject=subject)
    return _page(request, subject, "selfservice/data.html", record=record,
                 documents=IdentityDocument.objects.filter(subject=subject))


@accepts_uploads(CorrectionForm.upload_limits)
@require_http_methods(["GET", "POST"])
@with_subject
@needs_stepup
def correct(request: HttpRequest, subject: DataSubject) -> HttpResponse:
    record = get_object_or_404(PersonalRecord, subject=subject)
    form = CorrectionForm(request.POST or None, request.FILES or None, record=record,
                          documents=list(IdentityDocument.objects.filter(subject=subject)))
    if request.method == "POST" and form.is_valid():
        changed = record_correct(subject=subject, changes=form.changes(), files=form.replacements(),
                                 language=get_language())
        if "email" in changed:
            return notice(request, heading=_("Your email address is changed"), text=_(
                "This link no longer works. We have sent a new private link to your new address, and a notice to "
                "the old one."))
        if "mobile" in changed:
            return notice(request, heading=_("Your mobile number is changed"), text=_(
                "This link no longer works. We have sent a new private link to your email address, and a notice "
                "to the old number."))
        messages.success(request, _("Your changes are saved.") if changed else _("Nothing was changed."))
        return redirect("selfservice:home", token=request.token)
    return _page(request, subject, "selfservice/correct.html", form=form,
                 status=400 if request.method == "POST" else 200)


@with_subject
@needs_stepup
def export(request: HttpRequest, subject: DataSubject) -> HttpResponse:
    response = HttpResponse(data_export_archive(subject=subject), content_type="application/zip")
    response["Content-Disposition"] = 'attachment; filename="my-data.zip"'
    return response


@require_http_methods(["GET", "POST"])
@with_subject
def withdraw(request: HttpRequest, subject: DataSubject, slug: str) -> HttpResponse:
    purpose = get_object_or_404(Purpose, slug=slug)
    current = consents_current_for(subject=subject).get(slug)
    if current is None or current.action != ConsentRecord.Action.GIVEN:
        messages.info(request, _("You have not given this consent, so there is nothing to withdraw."))
        return redirect("selfservice:home", token=request.token)
    if purpose.required and not stepped_up(request, subject):
        # Ending the service erases everything: a forwarded link alone must not be able to.
        return redirect(reverse("selfservice:stepup", args=[request.token]) + "?next=home")
    if request.method == "POST" and (not purpose.required or request.POST.get("confirm") == "yes"):
        if purpose.required:
            consent_withdraw_and_end_service(subject=subject, purpose=purpose, context=_context(request))
            return notice(request, heading=_("Your consent is withdrawn and the service has ended"), text=_(
                "We are deleting your data now. Your private link will then only say that the data has been "
                "deleted."))
        consent_withdraw(subject=subject, purpose=purpose, context=_context(request))
        messages.success(request, _("Your consent is withdrawn: %(purpose)s.") % {"purpose": purpose.name})
        return redirect("selfservice:home", token=request.token)
    return _page(request, subject, "selfservice/withdraw_confirm.html", purpose=purpose)


@require_http_methods(["GET", "POST"])
@with_subject
def give(request: HttpRequest, subject: DataSubject, slug: str) -> HttpResponse:
    """Give again an optional consent withdrawn before: the page shows the words agreed to, and the
    receipt keeps the version of them the page showed."""
    purpose = get_object_or_404(Purpose, slug=slug, active=True, required=False)
    if not stepped_up(request, subject):
        # Consent is the person's own act: a forwarded link alone must not give it in their name.
        return redirect(reverse("selfservice:stepup", args=[request.token]) + "?next=home")
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        shown = request.POST.get("notice", "")
        notices = ((purpose.slug, int(shown)),) if shown.isdigit() else ()
        if consent_give_again(subject=subject, purpose=purpose, context=_context(request, notices)):
            messages.success(request, _("Your consent is given again: %(purpose)s.") % {"purpose": purpose.name})
        else:
            messages.info(request, _("This consent is already given, so nothing was changed."))
        return redirect("selfservice:home", token=request.token)
    notice_shown = purpose_notice_current(purpose=purpose, language=get_language() or settings.LANGUAGE_CODE)
    return _page(request, subject, "selfservice/give_confirm.html", purpose=purpose, notice=notice_shown)


@require_http_methods(["GET", "POST"])
@with_subject
@needs_stepup
def delete(request: HttpRequest, subject: DataSubject) -> HttpResponse:
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        outcome = subject_delete_now(subject=subject, language=get_language())
        return render(request, "selfservice/deleted.html", {"certificate": outcome.certificate, "job": outcome.job,
                                                            "outcome": outcome})
    return _page(request, subject, "selfservice/delete_confirm.html")


@require_POST
@with_subject
def signout(request: HttpRequest, subject: DataSubject) -> HttpResponse:
    links_sign_out(subject=subject, language=get_language())
    request.session.pop(_stepup_key(subject), None)
    return notice(request, heading=_("All your private links are signed out"), text=_(
        "Every link sent so far has stopped working. We have emailed a new link to the address we hold."))


@with_subject
def receipt(request: HttpRequest, subject: DataSubject, receipt_id) -> HttpResponse:
    """One signed consent receipt of this person's, as a file they keep."""
    record = get_object_or_404(ConsentRecord.objects.select_related("purpose", "policy_version", "notice"),
                               pk=receipt_id, subject=subject)
    response = HttpResponse(receipt_sign(record), content_type="application/jose")
    response["Content-Disposition"] = f'attachment; filename="{receipt_filename(record)}"'
    return response


@with_subject
def choice_receipt(request: HttpRequest, subject: DataSubject, choice_id) -> HttpResponse:
    """The signed receipt of one of this person's choices about a new disclosure, as a file they keep."""
    choice = get_object_or_404(DisclosureChoice.objects.select_related("version"), pk=choice_id, subject=subject)
    response = HttpResponse(choice_receipt_sign(choice), content_type="application/jose")
    response["Content-Disposition"] = f'attachment; filename="{choice_receipt_filename(choice)}"'
    return response


@require_POST
@with_subject
def keep(request: HttpRequest, subject: DataSubject) -> HttpResponse:
    # A leaked link alone must not extend how long we keep the data, again and again: the code first, then the
    # person presses the button again on their page.
    if not stepped_up(request, subject):
        return redirect(reverse("selfservice:stepup", args=[request.token]) + "?next=home")
    engagements_keep(subject=subject)
    messages.success(request, _("Thank you: we will keep your data, and tell you again before it is deleted."))
    return redirect("selfservice:home", token=request.token)


@ratelimit(key="ip", rate=settings.RESEND_RATE, method="POST", block=True)
@require_http_methods(["GET", "POST"])
def resend(request: HttpRequest) -> HttpResponse:
    """The answer is the same whether or not we hold data for the address."""
    form = ResendForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        link_request_create(address=form.cleaned_data["address"], language=get_language())
        return private(notice(request, heading=_("Check your messages"), text=_(
            "If we hold data for that address, we have just sent a new private link to it. If nothing arrives, "
            "we do not hold any data for that address.")))
    return private(render(request, "selfservice/resend.html", {"form": form},
                          status=400 if request.method == "POST" else 200))


@ratelimit(key="ip", rate=settings.TOKEN_PAGE_RATE, block=True)
@require_http_methods(["GET", "POST"])
def referee(request: HttpRequest, token: str) -> HttpResponse:
    subject, referee_id, problem = referee_resolve(token)
    if problem:
        return link_problem(request, problem)
    record = PersonalRecord.objects.get(subject=subject)
    if request.method == "POST":
        referee_remove(subject=subject, referee_id=referee_id)
    if request.method == "POST" or not any(r.get("id") == referee_id for r in record.referees):
        return private(notice(request, heading=_("Your details are removed"), text=_(
            "We no longer hold your details as a referee for this application.")))
    # The name the referee was told; a name the applicant corrected since is theirs to know, not the referee's.
    shown = record.full_name if referee_name_told(token, record.full_name) else None
    return private(render(request, "selfservice/referee.html", {"applicant": shown}))
