"""The admin site: every staff member signs in with a password and a second factor (django-otp TOTP,
or a backup code). A staff member without one reaches the enrolment page and nothing else."""

from base64 import b32encode
from datetime import timedelta
from functools import wraps

import segno
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.services import Actor
from apps.recruitment.intake import RequiredConsentMissing
from apps.subjects.models import DataSubject, Enquiry, SubjectRestricted
from apps.subjects.services import erasure_jobs_redrive

from . import dashboard
from .forms import (
    AnswerForm,
    CodeForm,
    EnrolmentCodeForm,
    IssueEnrolmentCodeForm,
    LiftRestrictionForm,
    PersonAddForm,
    RestrictForm,
    StaffLoginForm,
)
from .models import EnrolmentToken
from .services import (
    EnquiryClosed,
    audit_log_verify,
    enquiry_answer,
    enrolment_code_issue,
    enrolment_code_use,
    person_add_by_staff,
    subject_link_send,
    subject_restrict,
    subject_restriction_lift,
    two_factor_confirm,
    two_factor_start,
)
from .twofactor import device_for_code, has_second_factor

# The session remembers, for this sign-in only, that the staff member presented a valid enrolment code.
ENROLMENT_SESSION_KEY = "staff_enrolment_token"
# The backup codes just made, until the staff member says they saved them (shown and downloadable until then;
# every other admin page waits). Only for this session, and gone at that step.
CODES_SESSION_KEY = "staff_backup_codes_unsaved"


def _can_issue_codes(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm("staff.issue_enrolment_code"))


# The admin's home, grouped by the work people do rather than by app: a recruiter's day, then a privacy
# officer's; whatever else the registry holds (sign-in records, second factors, the key store…) is technical
# and listed for superusers only. Each entry is (app label, model name); a role sees what its permissions show.
TASKS = [
    (gettext_lazy("People, enquiries and vacancies"), [
        ("subjects", "DataSubject"), ("subjects", "Enquiry"), ("subjects", "ServiceEngagement"),
        ("subjects", "Vacancy"), ("subjects", "IdentityDocument"), ("subjects", "Controller")]),
    (gettext_lazy("Privacy: requests, breaches, policies"), [
        ("staff", "RightsRequest"), ("staff", "Breach"), ("staff", "BreachNotice"), ("policies", "PolicyVersion"),
        ("policies", "Disclosure"), ("policies", "Campaign"), ("policies", "CampaignRecipient"),
        ("policies", "DisclosureChoice"), ("consent", "Purpose"), ("consent", "ConsentRecord"),
        ("cookies", "CookieCategory"), ("cookies", "CookieDeclaration"), ("cookies", "CookieConsent"),
        ("api", "ApiToken")]),
    (gettext_lazy("Evidence: who saw and erased what"), [
        ("subjects", "Reveal"), ("subjects", "ErasureJob"), ("vault", "DeletionCertificate"),
        ("audit", "AuditEvent"), ("notifications", "Notification")]),
]
TECHNICAL = gettext_lazy("Technical (superusers only)")


def _group(label: str, name, models: list[dict]) -> dict:
    """A group of the home page in the shape Django's app list templates read."""
    return {"name": name, "app_label": label, "app_url": models[0]["admin_url"] or "", "has_module_perms": True,
            "models": models}


class StaffAdminSite(admin.AdminSite):
    site_header = gettext_lazy("Privacy Portal staff")
    site_title = gettext_lazy("Privacy Portal staff")
    index_title = gettext_lazy("Work with people's data, only as far as you need to")
    login_form = StaffLoginForm
    login_template = "staff/login.html"
    index_template = "staff/index.html"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and request.user.is_verified()

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        """The home page and the side bar by task (TASKS); an app's own page stays as Django has it."""
        if app_label is not None:
            return super().get_app_list(request, app_label)
        screens = {(app["app_label"], model["object_name"]): model
                   for app in self._build_app_dict(request).values() for model in app["models"]}
        groups = []
        for n, (name, wanted) in enumerate(TASKS):
            models = [screens.pop(key) for key in wanted if key in screens]
            if models:
                groups.append(_group(f"task-{n}", name, models))
        if request.user.is_superuser and screens:
            groups.append(_group("technical", TECHNICAL, sorted(screens.values(), key=lambda m: str(m["name"]))))
        return groups

    def admin_view(self, view, cacheable: bool = False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def second_factor_first(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            signed_in_staff = user.is_active and user.is_staff
            if signed_in_staff and request.session.get(CODES_SESSION_KEY) and view.__name__ != "logout":
                return redirect("admin:two_factor")  # the backup codes first: saved, then the admin
            if signed_in_staff and not user.is_verified():
                if view.__name__ == "logout":  # Django's wrapper would send them to the index instead
                    return csrf_protect(never_cache(view))(request, *args, **kwargs)
                return redirect("admin:two_factor")
            return inner(request, *args, **kwargs)

        return second_factor_first

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        response = super().login(request, extra_context)
        if request.method == "POST" and request.user.is_authenticated:
            # Staff sessions end after STAFF_SESSION_HOURS, whatever the browser does.
            request.session.set_expiry(settings.STAFF_SESSION_HOURS * 3600)
        return response

    def get_urls(self) -> list:
        return [
            path("two-factor/", self.two_factor_view, name="two_factor"),
            path("two-factor/backup-codes.txt", self.two_factor_codes_view, name="two_factor_codes"),
            path("dashboard/", self.admin_view(self.dashboard_view), name="dashboard"),
            path("enquiries/<uuid:pk>/answer/", self.admin_view(self.answer_view), name="staff_answer_enquiry"),
            path("people/<uuid:pk>/send-link/", self.admin_view(self.send_link_view), name="staff_send_link"),
            path("people/<uuid:pk>/restrict/", self.admin_view(self.restrict_view), name="staff_restrict"),
            path("people/<uuid:pk>/lift-restriction/", self.admin_view(self.lift_view), name="staff_lift_restriction"),
            path("people/add/", self.admin_view(self.person_add_view), name="staff_person_add"),
            path("enrolment-codes/", self.admin_view(self.enrolment_code_view), name="staff_enrolment_code"),
            path("dashboard/verify-audit-log/", self.admin_view(self.verify_audit_view), name="dashboard_verify_audit"),
            path("dashboard/redrive-erasures/", self.admin_view(self.redrive_view), name="dashboard_redrive"),
            *super().get_urls(),
        ]

    def each_context(self, request: HttpRequest) -> dict:
        context = super().each_context(request)
        context["can_see_dashboard"] = request.user.has_perm("staff.view_dashboard")
        context["can_send_link"] = request.user.has_perm("staff.send_private_link")
        context["can_answer"] = request.user.has_perm("staff.answer_enquiry")
        context["answer_form"] = AnswerForm()
        context["can_restrict"] = request.user.has_perm("staff.restrict_processing")
        context["restrict_form"], context["lift_form"] = RestrictForm(), LiftRestrictionForm()
        context["can_add_person"] = request.user.has_perm("staff.add_person")
        context["can_issue_codes"] = _can_issue_codes(request.user)
        return context

    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    def two_factor_view(self, request: HttpRequest) -> HttpResponse:
        """Set up the authenticator app (first sign-in), or enter its code to finish signing in."""
        user = request.user
        if not (user.is_active and user.is_staff):
            return redirect(f"{reverse('admin:login')}?{REDIRECT_FIELD_NAME}={reverse('admin:two_factor')}")
        context = {**self.each_context(request), "title": _("Two-factor sign-in")}
        if user.is_verified():
            return self._backup_codes_step(request, context)
        form = CodeForm(request.POST or None)
        if has_second_factor(user):
            if request.method == "POST" and form.is_valid():
                device = device_for_code(user=user, code=form.cleaned_data["code"])
                if device is not None:
                    otp_login(request, device)
                    return redirect("admin:index")
                form.add_error("code", _("The code is wrong or has expired."))
            return TemplateResponse(request, "staff/two_factor_verify.html", {**context, "form": form})
        if not self._enrolment_allowed(request):
            return self._enrolment_code_step(request, context)
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            device = two_factor_start(user=user)
        if request.method == "POST" and form.is_valid():
            codes = two_factor_confirm(user=user, device=device, code=form.cleaned_data["code"])
            if codes is not None:
                request.session.pop(ENROLMENT_SESSION_KEY, None)
                device.refresh_from_db()
                otp_login(request, device)
                request.session[CODES_SESSION_KEY] = list(codes)
                return redirect("admin:two_factor")
            form.add_error("code", _("The code is wrong or has expired. Check the time on your phone and try again."))
        qr = segno.make(device.config_url, error="m")
        return TemplateResponse(request, "staff/two_factor_enrol.html", {
            **context, "form": form, "qr_svg": mark_safe(qr.svg_inline(scale=4, dark="#000", light="#fff")),  # noqa: S308 (segno's own SVG)
            "secret": b32encode(device.bin_key).decode(),
        })

    @staticmethod
    def _backup_codes_step(request: HttpRequest, context: dict) -> HttpResponse:
        """The codes just made, with a download, until "I have saved my backup codes" is ticked."""
        codes = request.session.get(CODES_SESSION_KEY)
        if not codes:
            return redirect("admin:index")
        if request.method == "POST" and request.POST.get("saved") == "yes":
            del request.session[CODES_SESSION_KEY]
            return redirect("admin:index")
        return TemplateResponse(request, "staff/two_factor_backup_codes.html", {
            **context, "title": _("Your backup codes"), "codes": codes, "not_saved": request.method == "POST"})

    @method_decorator(never_cache)
    def two_factor_codes_view(self, request: HttpRequest) -> HttpResponse:
        """The backup codes not yet marked saved, as a text file (never cached)."""
        codes = request.session.get(CODES_SESSION_KEY) if request.user.is_active and request.user.is_staff else None
        if not codes:
            raise PermissionDenied
        body = _("Privacy Portal staff backup codes: each signs you in once.") + "\n\n" + "\n".join(codes) + "\n"
        response = HttpResponse(body, content_type="text/plain; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="privacy-portal-backup-codes.txt"'
        return response

    @staticmethod
    def _enrolment_allowed(request: HttpRequest) -> bool:
        """A password alone never sets up a first second factor: this sign-in presented a one-time code."""
        token_id = request.session.get(ENROLMENT_SESSION_KEY)
        # Spent within the code's own lifetime: a session left open does not keep the door open.
        since = timezone.now() - timedelta(hours=settings.STAFF_ENROLMENT_HOURS)
        return bool(token_id) and EnrolmentToken.objects.filter(pk=token_id, user=request.user,
                                                                used_at__gte=since).exists()

    def _enrolment_code_step(self, request: HttpRequest, context: dict) -> HttpResponse:
        form = EnrolmentCodeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            token = enrolment_code_use(user=request.user, code=form.cleaned_data["code"])
            if token is not None:
                request.session[ENROLMENT_SESSION_KEY] = str(token.pk)
                return redirect("admin:two_factor")
            # Counted by django-axes like a wrong password: codes cannot be guessed either.
            user_login_failed.send(sender=type(self), request=request,
                                   credentials={"username": request.user.get_username()})
            form.add_error("code", _("This enrolment code is wrong, used or expired. Ask the privacy officer "
                                     "for a new one."))
        return TemplateResponse(request, "staff/two_factor_enrolment_code.html", {**context, "form": form})

    def enrolment_code_view(self, request: HttpRequest) -> HttpResponse:
        """Issue a one-time enrolment code to a staff member without a second factor; shown here once."""
        if not _can_issue_codes(request.user):
            raise PermissionDenied
        users = (get_user_model().objects.filter(is_active=True, is_staff=True)
                 .exclude(pk__in=TOTPDevice.objects.filter(confirmed=True).values("user"))
                 .exclude(pk__in=StaticDevice.objects.filter(confirmed=True).values("user")).order_by("username"))
        form = IssueEnrolmentCodeForm(request.POST or None, users=users)
        context = {**self.each_context(request), "title": _("Two-factor enrolment codes"), "form": form}
        if request.method == "POST" and form.is_valid():
            code = enrolment_code_issue(user=form.cleaned_data["user"], issued_by=request.user)
            context.update(code=code, for_user=form.cleaned_data["user"], form=None,
                           hours=settings.STAFF_ENROLMENT_HOURS)
        return TemplateResponse(request, "staff/enrolment_code.html", context)

    def restrict_view(self, request: HttpRequest, pk) -> HttpResponse:
        if not request.user.has_perm("staff.restrict_processing") or request.method != "POST":
            raise PermissionDenied
        subject = get_object_or_404(DataSubject, pk=pk, status=DataSubject.Status.ACTIVE)
        form = RestrictForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose the ground for the restriction."))
        elif subject_restrict(subject=subject, staff_user=request.user, ground=form.cleaned_data["ground"]):
            messages.success(request, _("Processing is restricted: the data is only stored until you lift it. "
                                        "The person has been told."))
        else:
            messages.warning(request, _("Processing of this person's data was already restricted."))
        return redirect("admin:subjects_datasubject_change", pk)

    def lift_view(self, request: HttpRequest, pk) -> HttpResponse:
        if not request.user.has_perm("staff.restrict_processing") or request.method != "POST":
            raise PermissionDenied
        subject = get_object_or_404(DataSubject, pk=pk, status=DataSubject.Status.ACTIVE)
        form = LiftRestrictionForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose why the restriction is lifted."))
        elif subject_restriction_lift(subject=subject, staff_user=request.user, reason=form.cleaned_data["reason"]):
            messages.success(request, _("The restriction is lifted. The person has been told."))
        else:
            messages.warning(request, _("Processing of this person's data was not restricted."))
        return redirect("admin:subjects_datasubject_change", pk)

    def person_add_view(self, request: HttpRequest) -> HttpResponse:
        """An application or enquiry received by email or phone, through the same intake as the forms."""
        if not request.user.has_perm("staff.add_person"):
            raise PermissionDenied
        form = PersonAddForm(request.POST or None, initial={"language": settings.LANGUAGE_CODE})
        if request.method == "POST" and form.is_valid():
            c = form.cleaned_data
            try:
                received = person_add_by_staff(staff_user=request.user, key=c["key"], kind=c["kind"],
                                               data=form.record_data(), purposes=list(c["purposes"]),
                                               channel=c["channel"], consented_at=c["consented_at"],
                                               language=c["language"])
            except (RequiredConsentMissing, ValidationError, ValueError):
                form.add_error(None, _("Nothing was saved: check the details and the consents."))
            else:
                messages.success(request, _("The person is added. Their confirmation with their private link is "
                                            "on its way."))
                return redirect("admin:subjects_datasubject_change", received.submission.subject_id)
        return TemplateResponse(request, "staff/person_add.html", {
            **self.each_context(request), "title": _("Add a person who wrote or phoned"), "form": form})

    def dashboard_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("staff.view_dashboard"):
            raise PermissionDenied
        return TemplateResponse(request, "staff/dashboard.html", {
            **self.each_context(request), "title": _("Privacy officer's dashboard"), **dashboard.overview()})

    def redrive_view(self, request: HttpRequest) -> HttpResponse:
        """The same re-drive beat runs every 30 seconds, now (a thin trigger, as the command is)."""
        if not request.user.has_perm("staff.view_dashboard") or request.method != "POST":
            raise PermissionDenied
        count = erasure_jobs_redrive()
        self_message = _("%(n)d erasure(s) published again.") % {"n": count}
        messages.success(request, self_message)
        return redirect("admin:dashboard")

    def send_link_view(self, request: HttpRequest, pk) -> HttpResponse:
        if not request.user.has_perm("staff.send_private_link") or request.method != "POST":
            raise PermissionDenied
        subject = get_object_or_404(DataSubject, pk=pk, status=DataSubject.Status.ACTIVE)
        subject_link_send(subject=subject, staff_user=request.user)
        messages.success(request, _("A fresh private link is on its way to the email address on file."))
        return redirect("admin:subjects_datasubject_change", pk)

    def verify_audit_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("staff.view_dashboard") or request.method != "POST":
            raise PermissionDenied
        report = audit_log_verify(actor=Actor.staff(request.user))
        if report.ok:
            messages.success(request, _("The audit log verifies: %(n)d events, no break.") % {"n": report.count})
        else:
            messages.error(request, _("The audit log is broken in chain %(chain)s: %(problem)s.")
                           % {"chain": report.chain, "problem": report.problem})
        return redirect("admin:dashboard")

    def answer_view(self, request: HttpRequest, pk) -> HttpResponse:
        if not request.user.has_perm("staff.answer_enquiry") or request.method != "POST":
            raise PermissionDenied
        enquiry = get_object_or_404(Enquiry, pk=pk, subject__status=DataSubject.Status.ACTIVE)
        form = AnswerForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Write an answer of at most 5000 characters."))
            return redirect("admin:subjects_enquiry_change", pk)
        try:
            enquiry_answer(enquiry=enquiry, staff_user=request.user, body=form.cleaned_data["body"])
        except SubjectRestricted:
            messages.error(request, _("Processing of this person's data is restricted: the enquiry cannot be "
                                      "answered until the privacy officer lifts the restriction."))
            return redirect("admin:subjects_enquiry_change", pk)
        except EnquiryClosed:
            messages.error(request, _("This enquiry has already been answered and closed: nothing was sent."))
            return redirect("admin:subjects_datasubject_change", enquiry.subject_id)
        messages.success(request, _("Your answer is on its way and the enquiry is closed: once the answer has "
                                    "been sent, the person's data is erased, as promised."))
        return redirect("admin:subjects_datasubject_change", enquiry.subject_id)
