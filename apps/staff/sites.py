"""The admin site: every staff member signs in with a password and a second factor (django-otp TOTP,
or a backup code). A staff member without one reaches the enrolment page and nothing else."""

from base64 import b32encode
from functools import wraps

import segno
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.services import Actor
from apps.subjects.models import DataSubject, Enquiry
from apps.subjects.services import erasure_jobs_redrive

from . import dashboard
from .forms import AnswerForm, CodeForm, StaffLoginForm
from .services import audit_log_verify, enquiry_answer, subject_link_send, two_factor_confirm, two_factor_start
from .twofactor import device_for_code, has_second_factor


class StaffAdminSite(admin.AdminSite):
    site_header = gettext_lazy("Privacy Portal staff")
    site_title = gettext_lazy("Privacy Portal staff")
    index_title = gettext_lazy("Work with people's data, only as far as you need to")
    login_form = StaffLoginForm
    login_template = "staff/login.html"
    index_template = "staff/index.html"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and request.user.is_verified()

    def admin_view(self, view, cacheable: bool = False):
        inner = super().admin_view(view, cacheable)

        @wraps(view)
        def second_factor_first(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            signed_in_staff = user.is_active and user.is_staff
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
            path("dashboard/", self.admin_view(self.dashboard_view), name="dashboard"),
            path("enquiries/<uuid:pk>/answer/", self.admin_view(self.answer_view), name="staff_answer_enquiry"),
            path("people/<uuid:pk>/send-link/", self.admin_view(self.send_link_view), name="staff_send_link"),
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
        return context

    @method_decorator(never_cache)
    @method_decorator(csrf_protect)
    def two_factor_view(self, request: HttpRequest) -> HttpResponse:
        """Set up the authenticator app (first sign-in), or enter its code to finish signing in."""
        user = request.user
        if not (user.is_active and user.is_staff):
            return redirect(f"{reverse('admin:login')}?{REDIRECT_FIELD_NAME}={reverse('admin:two_factor')}")
        if user.is_verified():
            return redirect("admin:index")
        context = {**self.each_context(request), "title": _("Two-factor sign-in")}
        form = CodeForm(request.POST or None)
        if has_second_factor(user):
            if request.method == "POST" and form.is_valid():
                device = device_for_code(user=user, code=form.cleaned_data["code"])
                if device is not None:
                    otp_login(request, device)
                    return redirect("admin:index")
                form.add_error("code", _("The code is wrong or has expired."))
            return TemplateResponse(request, "staff/two_factor_verify.html", {**context, "form": form})
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
        if device is None:
            device = two_factor_start(user=user)
        if request.method == "POST" and form.is_valid():
            codes = two_factor_confirm(user=user, device=device, code=form.cleaned_data["code"])
            if codes is not None:
                device.refresh_from_db()
                otp_login(request, device)
                return TemplateResponse(request, "staff/two_factor_backup_codes.html", {**context, "codes": codes})
            form.add_error("code", _("The code is wrong or has expired. Check the time on your phone and try again."))
        qr = segno.make(device.config_url, error="m")
        return TemplateResponse(request, "staff/two_factor_enrol.html", {
            **context, "form": form, "qr_svg": mark_safe(qr.svg_inline(scale=4, dark="#000", light="#fff")),  # noqa: S308 (segno's own SVG)
            "secret": b32encode(device.bin_key).decode(),
        })

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
        enquiry_answer(enquiry=enquiry, staff_user=request.user, body=form.cleaned_data["body"])
        messages.success(request, _("Your answer is on its way. Once it has been sent, mark the enquiry's service "
                                    "complete: that erases the person's data, as promised."))
        return redirect("admin:subjects_datasubject_change", enquiry.subject_id)
