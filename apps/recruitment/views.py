import logging
import uuid

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_ratelimit.decorators import ratelimit

from apps.consent.models import ConsentRecord, Submission
from apps.consent.selectors import form_missing, purposes_for
from apps.consent.services import PURPOSES, CollectionContext, purposes_shown
from apps.core.http import client_ip
from apps.core.pagecache import cached_page, page_mark
from apps.core.uploads import accepts_uploads
from apps.core.views import notice
from apps.policies.selectors import POLICY_IN_FORCE, policy_in_force
from apps.subjects.selectors import VACANCIES, vacancies_open, vacancies_open_ids, vacancy_get
from apps.subjects.services import VacancyClosed
from apps.vault.files import StorageFull

from .forms import FORM_VERSIONS, RIGHTS, ApplicationForm, ContactForm, IntakeCodeForm, RightsRequestForm
from .intake import (
    FIELD_LABELS,
    FormKeyState,
    IntakeOutcome,
    Landed,
    form_key_state,
    intake_confirm_code,
    intake_confirm_link,
    intake_hold,
    intake_show,
    intake_waiting,
)
from .uploads import KeptUploadGone, uploads_discard, uploads_keep, uploads_kept

logger = logging.getLogger(__name__)



def _context(request: HttpRequest, kind: str) -> CollectionContext:
    # Which notice versions the page showed (checked against the purpose when the receipt is written).
    notices = tuple((name.removeprefix("notice_"), int(value)) for name, value in request.POST.items()
                    if name.startswith("notice_") and value.isdigit())
    return CollectionContext(
        collection_point=f"{kind}-form", form_version=FORM_VERSIONS[kind], source=ConsentRecord.Source.WEB_FORM,
        ip=client_ip(request), user_agent=request.META.get("HTTP_USER_AGENT", "")[:512],
        language=get_language() or settings.LANGUAGE_CODE, notices=notices,
    )


def _repeated_fields(request: HttpRequest) -> int:
    """How many fields were sent more than once. Every field of these forms is single-valued: a
    repeat is a forged or broken request, and which value counts must not be guessed (a consent
    box sent as `on`, `off` and `\x00` is not consent). A repeated file never gets here: the upload
    handler keeps only the first file of a declared field (apps.core.uploads)."""
    return sum(1 for data in (request.POST, request.FILES) for name in data if len(data.getlist(name)) > 1)


# Which form this browser has just sent, for the next page (the code page, then the done page): a signed cookie
# of its own holding "held:<id>" or "received:<id>" (ids, no personal data), declared with the site's cookies
# (apps.cookies.seed). No session row is written for a visitor's form: nothing to fail after the form committed.
SENT_COOKIE = settings.FORM_SENT_COOKIE_NAME
RECEIVED_SHOWN_SECONDS = 24 * 3600  # how long the done page can be opened again


def _sent_mark(response: HttpResponse, state: str, pk: uuid.UUID, *, max_age: int) -> HttpResponse:
    response.set_signed_cookie(SENT_COOKIE, f"{state}:{pk}", salt=SENT_COOKIE, max_age=max_age, httponly=True,
                               secure=settings.SESSION_COOKIE_SECURE, samesite="Lax")
    return response


def _sent(request: HttpRequest, state: str) -> str:
    """The id this browser's cookie names for the form in this state, or ""."""
    value = request.get_signed_cookie(SENT_COOKIE, default="", salt=SENT_COOKIE,
                                      max_age=settings.INTAKE_PENDING_DAYS * 24 * 3600)
    marked, _sep, pk = value.partition(":")
    return pk if marked == state and _is_uuid(pk) else ""


def _received(request: HttpRequest, submission: Submission) -> HttpResponse:
    """What the visitor sees once their form is stored: the done page, which reads the submission named by the
    browser's cookie."""
    return _sent_mark(redirect("recruitment:done"), "received", submission.pk, max_age=RECEIVED_SHOWN_SECONDS)


def _held(request: HttpRequest, pending_id: uuid.UUID) -> HttpResponse:
    """The form is held until its code is typed: the visitor goes to the page that asks for it."""
    return _sent_mark(redirect("recruitment:code"), "held", pending_id,
                      max_age=settings.INTAKE_PENDING_DAYS * 24 * 3600)


def _sent_forget(response: HttpResponse) -> HttpResponse:
    response.delete_cookie(SENT_COOKIE, samesite="Lax")
    return response


def _vacancy_gone(request: HttpRequest, *, status: int = 410) -> HttpResponse:
    """A closed or unknown job: said plainly, with the way to the open ones; nothing was stored."""
    return render(request, "recruitment/vacancy_gone.html", status=status)


def _collect(request: HttpRequest, *, kind: str, form_class: type, template: str) -> HttpResponse:
    # The words the page shows are the words the receipt keeps (each purpose's notice version).
    purposes = purposes_shown(kind=kind, language=get_language() or settings.LANGUAGE_CODE)
    if form_missing(kind, purposes=purposes):  # a first run: nothing is collected before the policy and purposes exist
        response = notice(request, status=503, heading=_("This form is not open yet"), text=_(
            "We cannot take your details yet: the privacy notice for this form is not published. Nothing you "
            "type here would be stored. Please come back later."))
        response["Retry-After"] = "3600"
        return response
    if request.method == "POST":
        if repeated := _repeated_fields(request):
            logger.info("form %s refused: %s field(s) sent more than once", kind, repeated)
            return notice(request, heading=_("This form could not be read"), status=400, text=_(
                "Some of its fields were sent more than once. Nothing was saved. Please open the form again "
                "and send it once."))
        key = request.POST.get("key", "")
        # A resubmission (double click, back button) of a form already received or held: no second person,
        # no second code.
        sent = form_key_state(key=uuid.UUID(key)) if _is_uuid(key) else FormKeyState()
        if sent.submission is not None:
            return _received(request, sent.submission)
        if sent.pending_id is not None:
            return _held(request, sent.pending_id)
        # Files kept from this form's earlier try (the page says so in a hidden field): not asked for again.
        kept = uploads_kept(form_key=uuid.UUID(key)) \
            if kind == "apply" and request.POST.get("kept") and _is_uuid(key) else {}
        form = form_class(request.POST, request.FILES, purposes=purposes, **({"kept": kept} if kind == "apply" else {}))
        if kind == "apply" and not form.is_valid() and form.from_a_child:
            return _child_refused(request, key=key)
        if form.is_valid():
            data = form.record_data() if kind == "apply" else {
                "full_name": form.cleaned_data["full_name"], "email": form.cleaned_data["email"],
                "mobile": form.cleaned_data.get("mobile"), "message": form.cleaned_data["message"]}
            try:
                pending = intake_hold(
                    key=form.cleaned_data["key"], kind=kind, data=data, purposes=form.purposes_given(),
                    context=_context(request, kind), document=form.cleaned_data.get("id_document"),
                    vacancy=form.cleaned_data.get("vacancy"), cv=form.cleaned_data.get("cv"), offered=purposes,
                    take_kept=bool(kept), key_checked=True)
            except StorageFull:  # logged as an alert where it happened; the transaction rolled back
                full = notice(request, heading=_("We could not save your application"), status=503, text=_(
                    "We could not save your application: nothing was kept. Please try again later."))
                full["Retry-After"] = "600"  # an operator is alerted to free space
                return full
            except VacancyClosed:  # it closed while the visitor was filling in the form
                return _vacancy_gone(request, status=409)
            except KeptUploadGone as gone:  # a kept file expired between the page and the send: ask for it
                form.kept = {name: kept_name for name, kept_name in kept.items() if name not in gone.fields}
                for name in gone.fields:
                    form.add_error(name, _("The file we kept for you has expired. Please attach it again."))
            else:
                return _held(request, pending.pk)
        # Files that passed their checks are kept for the form's own key (none without a valid key).
        if kind == "apply" and form.cleaned_data.get("key") and (accepted := form.accepted_uploads()):
            uploads_keep(form_key=form.cleaned_data["key"], uploads=accepted)
            form.kept.update({name: upload[0] for name, upload in accepted.items()})
        status, chosen = 400, form.cleaned_data.get("vacancy")
    else:
        return _form_page(request, kind=kind, form_class=form_class, template=template, purposes=purposes)
    if kind == "apply" and chosen is None and not vacancies_open().exists():
        return _no_jobs(request, status=status)
    return render(request, template, {"form": form, "purposes": purposes, "policy": policy_in_force(),
                                      "vacancy": chosen}, status=status)


def _child_refused(request: HttpRequest, *, key: str) -> HttpResponse:
    """An applicant under MINIMUM_APPLICANT_AGE (Data Protection Act 2019, s.33): the whole form is refused, in
    plain words, and nothing of it is kept: no form held, no code sent, and the files kept from its earlier try are
    deleted with their keys."""
    if _is_uuid(key):
        uploads_discard(form_key=uuid.UUID(key))
    return notice(request, status=403, heading=_("You are too young to apply"), text=_(
        "We take job applications only from people aged %(age)s or older. Nothing you typed or attached was kept. "
        "You are welcome to apply once you are %(age)s.") % {"age": settings.MINIMUM_APPLICANT_AGE})


def _no_jobs(request: HttpRequest, *, status: int = 200, context: dict | None = None) -> HttpResponse:
    return notice(request, status=status, context=context, heading=_("No jobs are open right now"), text=_(
        "We are not recruiting for any job at the moment, so there is nothing to apply for. Please come back "
        "later."))


FORM_KEY_MARK = page_mark("form-key")  # the form's idempotency key: every visitor's page gets its own


def _form_page(request: HttpRequest, *, kind: str, form_class: type, template: str, purposes: list) -> HttpResponse:
    """The empty form: the same for every visitor in a language but for the CSRF token and the form's key, so
    rendered once per language and content version (apps.core.pagecache) and filled per request."""
    wanted = request.GET.get("vacancy") if kind == "apply" else None
    if wanted is not None and wanted not in vacancies_open_ids():
        chosen = vacancy_get(pk=wanted)
        if chosen is None or not chosen.is_open:
            return _vacancy_gone(request)
        wanted = str(chosen.pk)  # one spelling of the id in the page's key
    policy = policy_in_force()

    def page(marks: dict) -> HttpResponse:
        chosen = vacancy_get(pk=wanted) if wanted else None
        if kind == "apply" and chosen is None and not vacancies_open().exists():
            return _no_jobs(request, context=marks)
        form = form_class(purposes=purposes, initial={"key": FORM_KEY_MARK, **({"vacancy": chosen} if chosen else {})})
        return render(request, template, {**marks, "form": form, "purposes": purposes, "policy": policy,
                                          "vacancy": chosen})

    return cached_page(request, name=f"form:{kind}", depends=(PURPOSES, POLICY_IN_FORCE, VACANCIES),
                       parts=(wanted or "", policy.pk if policy else ""), render=page,
                       marks={FORM_KEY_MARK: lambda request: str(uuid.uuid4())})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


@accepts_uploads(ApplicationForm.upload_limits)
@ratelimit(key="ip", rate=settings.FORM_POST_RATE, method="POST", block=True)
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    return _collect(request, kind="apply", form_class=ApplicationForm, template="recruitment/apply.html")


@ratelimit(key="ip", rate=settings.FORM_POST_RATE, method="POST", block=True)
@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    return _collect(request, kind="contact", form_class=ContactForm, template="recruitment/contact.html")


@require_GET
def done(request: HttpRequest) -> HttpResponse:
    pk = _sent(request, "received")
    submission = Submission.objects.filter(pk=pk).first() if pk else None
    if submission is None:
        return redirect("home")
    return _done_page(request, submission, purposes_for(submission.kind))


def _done_page(request: HttpRequest, submission: Submission, purposes: list) -> HttpResponse:
    response = render(request, "recruitment/done.html", {
        "vacancy": submission.vacancy, "kind": submission.kind,
        "fields": [FIELD_LABELS[f] for f in submission.fields],
        "purposes": [p for p in purposes if p.slug in submission.purposes],
        "sms": "mobile" in submission.fields,
    })
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """What we do with personal data, and the jobs open now (the way in for most visitors). Without the
    database the page still explains what we do, and says the jobs cannot be listed just now (that page is
    not kept). Rendered once per language and version of the open jobs (apps.core.pagecache)."""

    def page(marks: dict) -> HttpResponse:
        try:
            vacancies = list(vacancies_open())
        except DatabaseError as exc:
            logger.warning("home page without the list of jobs (%s)", type(exc).__name__)
            connection.close()
            vacancies = None
        response = render(request, "core/home.html", {**marks, "vacancies": vacancies,
                                                      "jobs_unavailable": vacancies is None})
        response.page_uncacheable = vacancies is None
        return response

    return cached_page(request, name="home", depends=(VACANCIES,), render=page)


@require_GET
def jobs(request: HttpRequest) -> HttpResponse:
    """The open jobs: rendered once per language and version of the open jobs (apps.core.pagecache)."""
    return cached_page(request, name="jobs", depends=(VACANCIES,), render=lambda marks: render(
        request, "recruitment/jobs.html", {**marks, "vacancies": list(vacancies_open())}))


@require_GET
def job(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    """One job: an open one's page is kept per language and version of the jobs; a closed one (410) or an
    unknown one (404) is answered each time."""

    def page(marks: dict) -> HttpResponse:
        vacancy = vacancy_get(pk=pk)
        if vacancy is None:
            raise Http404
        return render(request, "recruitment/job.html", {**marks, "vacancy": vacancy},
                      status=200 if vacancy.is_open else 410)

    return cached_page(request, name="job", depends=(VACANCIES,), parts=(pk,), render=page)


# What the person reads once they chose (or when the form cannot be used): heading, sentence, status.
INTAKE_ANSWERS = {
    IntakeOutcome.DISCARDED: (gettext_lazy("Deleted: nothing was kept"), gettext_lazy(
        "The form sent with your email address is deleted. Nothing was stored about you, and no consent was "
        "given in your name."), 200),
    IntakeOutcome.GONE: (gettext_lazy("This form has been used"), gettext_lazy(
        "This form was already confirmed or deleted, or it waited too long and was deleted. Nothing more will "
        "change. If you want to apply, send the form again."), 410),
    IntakeOutcome.EXPIRED: (gettext_lazy("This link has expired"), gettext_lazy(
        "The form waited too long for your confirmation and was deleted: nothing was kept. If you want to "
        "apply, send the form again."), 410),
    IntakeOutcome.INVALID: (gettext_lazy("This link does not work"), gettext_lazy(
        "The link is not complete or not valid. Copy the whole link from the email, or send the form again."),
        404),
    IntakeOutcome.CLOSED: (gettext_lazy("This job is closed"), gettext_lazy(
        "The job closed before you confirmed, so nothing was kept and the form is deleted."), 410),
    IntakeOutcome.LOCKED: (gettext_lazy("Too many wrong codes"), gettext_lazy(
        "The code was typed wrongly too many times, so it no longer works. Open the link in the email we sent "
        "you to confirm the form."), 403),
}


def _intake_answer(request: HttpRequest, outcome: str) -> HttpResponse:
    heading, text, status = INTAKE_ANSWERS[outcome]
    return _private(notice(request, heading=str(heading), text=str(text), status=status))


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "same-origin"  # the token never reaches another site
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _not_stored_yet(request: HttpRequest) -> HttpResponse:
    """The files could not be written (logged as an alert where it happened); the transaction rolled back, so
    the form still waits, with its code and link, and nothing else was kept."""
    response = _private(notice(request, heading=_("We could not save your form"), status=503, text=_(
        "We could not save your form just now: nothing was kept, and your form is still waiting. Please type "
        "the code or open the link again later.")))
    response["Retry-After"] = "600"
    return response


def _confirmed(request: HttpRequest, submission: Submission | Landed) -> HttpResponse:
    if isinstance(submission, Landed):  # a rights request: its page says what happens and by when
        return _sent_forget(_private(render(request, "recruitment/rights_done.html", {
            "right": dict(RIGHTS).get(submission.facts.get("right", "")), **submission.facts})))
    return _received(request, submission)


@ratelimit(key="ip", rate=settings.FORM_POST_RATE, method="POST", block=True)
@require_http_methods(["GET", "POST"])
def rights(request: HttpRequest) -> HttpResponse:
    """Ask for access, correction, erasure, objection, portability or restriction, without an account: held
    until the address's owner types the emailed code (or follows the link), then it lands in the rights-request
    register with its statutory clock (apps.staff registers how)."""
    form = RightsRequestForm(request.POST or None)
    if request.method == "POST" and _repeated_fields(request) == 0 and form.is_valid():
        sent = form_key_state(key=form.cleaned_data["key"])
        if sent.pending_id is not None:
            return _held(request, sent.pending_id)
        pending = intake_hold(key=form.cleaned_data["key"], kind="rights", purposes=[], offered=[],
                              data={"email": form.cleaned_data["email"], "right": form.cleaned_data["right"]},
                              context=_context(request, "rights"), key_checked=True)
        return _held(request, pending.pk)
    status = 400 if request.method == "POST" else 200
    return _private(render(request, "recruitment/rights.html", {"form": form}, status=status))


def _code_page(request: HttpRequest, *, pending_id, form: IntakeCodeForm, status: int = 200) -> HttpResponse:
    if not intake_waiting(pending_id=pending_id):
        return _sent_forget(_intake_answer(request, IntakeOutcome.GONE))
    return _private(render(request, "recruitment/code.html", {"form": form, "days": settings.INTAKE_PENDING_DAYS},
                           status=status))


@ratelimit(key="ip", rate=settings.TOKEN_PAGE_RATE, method="POST", block=True)
@require_http_methods(["GET", "POST"])
def code(request: HttpRequest) -> HttpResponse:
    """The page a sent form leads to: type the 6-digit code emailed to the address you gave. Only then does
    anything about you exist with us. (Not by SMS: a code to the number typed proves the number, not the
    address, and the address is who the form is about.)"""
    pending_id = _sent(request, "held")
    if not pending_id:
        return redirect("home")
    if request.method == "GET":
        return _code_page(request, pending_id=pending_id, form=IntakeCodeForm())
    form = IntakeCodeForm(request.POST)
    if not form.is_valid():
        return _code_page(request, pending_id=pending_id, form=form, status=400)
    try:
        outcome, submission = intake_confirm_code(pending_id=uuid.UUID(pending_id), code=form.cleaned_data["code"])
    except StorageFull:
        return _not_stored_yet(request)
    if submission is not None:
        return _confirmed(request, submission)
    if outcome == IntakeOutcome.WRONG_CODE:
        form.add_error("code", _("That code is not right. Check the latest email from us and type its 6 digits."))
        return _code_page(request, pending_id=pending_id, form=form, status=400)
    return _sent_forget(_intake_answer(request, outcome))


@ratelimit(key="ip", rate=settings.TOKEN_PAGE_RATE, block=True)
@require_http_methods(["GET", "POST"])
def pending(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the email sent to the address a form gave. Opening it changes nothing (mail scanners open
    links); the person confirms the form, or deletes it, with a button."""
    if request.method == "POST":
        choice = request.POST.get("choice")
        if choice not in {"confirm", "discard"}:
            return _private(notice(request, heading=_("This form could not be read"), status=400, text=_(
                "Nothing was changed. Please open the link from the email again.")))
        try:
            outcome, submission = intake_confirm_link(token=token, discard=choice == "discard")
        except StorageFull:
            return _not_stored_yet(request)
        if submission is not None:
            return _confirmed(request, submission)
        return _intake_answer(request, outcome)
    shown, problem = intake_show(token=token)
    if shown is None:
        return _intake_answer(request, problem)
    return _private(render(request, "recruitment/pending.html", {"shown": shown}))
