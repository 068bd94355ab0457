"""Staff sign-in (password, then the code from their authenticator app or a backup code), and the forms of
the staff pages: restriction, breach notices, enrolment codes, people received by email or phone."""

import uuid

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from apps.consent.models import Purpose
from apps.consent.selectors import purposes_for
from apps.recruitment.forms import PHONE, PersonNameField
from apps.subjects.models import DataSubject

from .models import Breach
from .signin import signin_wait_seconds
from .twofactor import device_for_code, has_second_factor

SIGN_IN_WAIT = _("There have been many failed sign-ins with this username. Wait %(seconds)d seconds, then sign in "
                 "again.")
SIGN_IN_REFUSED = _("The username, password or code is wrong. Enter them again, with the current code from your "
                    "authenticator app (leave the code empty only the first time you sign in).")


class StaffLoginForm(AdminAuthenticationForm):
    otp_token = forms.CharField(
        label=_("Code from your authenticator app (or a backup code)"), required=False, max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_("Leave empty only the first time you sign in: you will then set up your authenticator app "
                    "with the enrolment code you were given."))

    # One message for a wrong password, a wrong or missing code and an account that is not staff's, so the
    # answer never tells a right password from a wrong one.
    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": SIGN_IN_REFUSED,
        "bad_code": SIGN_IN_REFUSED,
    }

    def clean(self) -> dict:
        # Many failures for this username from anywhere: a short wait, whatever the password (no answer tells a
        # right one from a wrong one), and nothing checked, so the wait is not extended by trying.
        wait = signin_wait_seconds(username=self.cleaned_data.get("username") or "")
        if wait:
            raise forms.ValidationError(SIGN_IN_WAIT % {"seconds": wait}, code="wait")
        cleaned = super().clean()  # password and staff status first
        user = self.get_user()
        if user is None or not has_second_factor(user):
            return cleaned  # no second factor yet: the admin lets them reach the enrolment page only
        device = device_for_code(user=user, code=cleaned.get("otp_token") or "")
        if device is None:
            # Counted by django-axes like a wrong password, so codes cannot be guessed either.
            user_login_failed.send(sender=type(self), request=self.request,
                                   credentials={"username": cleaned.get("username")})
            raise forms.ValidationError(self.error_messages["bad_code"], code="bad_code")
        user.otp_device = device  # django_otp's user_logged_in handler marks the session verified
        return cleaned


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code from your authenticator app"), max_length=16,
                           widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))


class AnswerForm(forms.Form):
    body = forms.CharField(label=_("Your answer"), max_length=5000,
                           widget=forms.Textarea(attrs={"rows": 8, "cols": 70}),
                           help_text=_("Sent by email to the address the person gave."))


class RestrictForm(forms.Form):
    ground = forms.ChoiceField(label=_("Ground (Data Protection Act, s.34(1))"),
                               choices=DataSubject.RestrictionGround.choices)


class LiftRestrictionForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why is the restriction lifted?"), choices=DataSubject.RestrictionLifted.choices)


class BreachChoiceForm(forms.Form):
    breach = forms.ModelChoiceField(label=_("Breach"), queryset=Breach.objects.filter(state=Breach.State.OPEN),
                                    empty_label=None)


class EnrolmentCodeForm(forms.Form):
    code = forms.CharField(label=_("Enrolment code"), max_length=32,
                           help_text=_("The one-time code a superuser or the privacy officer gave you, "
                                       "like ABCD-1234-EF56-7890."),
                           widget=forms.TextInput(attrs={"autocomplete": "off"}))


class IssueEnrolmentCodeForm(forms.Form):
    user = forms.ModelChoiceField(label=_("Staff member"), queryset=None, empty_label=None,
                                  help_text=_("Staff accounts that have not set up a second factor yet."))

    def __init__(self, *args, users, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users


KINDS = [("apply", _("A job application")), ("contact", _("An enquiry"))]
CHANNELS = [("email", _("By email")), ("phone", _("By phone"))]


class PersonAddForm(forms.Form):
    """A person who applied or asked by email or phone; what they agreed to, how and when."""

    key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    kind = forms.ChoiceField(label=_("What they sent"), choices=KINDS)
    full_name = PersonNameField(label=_("Full name"))
    email = forms.EmailField(label=_("Email address"), max_length=254,
                             help_text=_("Their confirmation and private link go here."))
    mobile = PhoneNumberField(label=_("Mobile number (optional)"), required=False, region="KE", error_messages=PHONE)
    address = forms.CharField(label=_("Address (optional)"), required=False, max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 2, "cols": 60}))
    message = forms.CharField(label=_("Their message (enquiries)"), required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))
    channel = forms.ChoiceField(label=_("How did they agree?"), choices=CHANNELS)
    consented_at = forms.DateTimeField(label=_("When did they agree?"),
                                       help_text=_("Date and time, like 2026-11-28 14:30."))
    purposes = forms.ModelMultipleChoiceField(label=_("What they agreed to"), widget=forms.CheckboxSelectMultiple,
                                              queryset=Purpose.objects.filter(active=True))
    language = forms.ChoiceField(label=_("Their language"), choices=settings.LANGUAGES,
                                 help_text=_("Their confirmation and later messages are in this language."))

    def clean(self) -> dict:
        cleaned = super().clean()
        kind, purposes = cleaned.get("kind"), cleaned.get("purposes")
        if cleaned.get("consented_at") and cleaned["consented_at"] > timezone.now():
            self.add_error("consented_at", _("Consent cannot have been given in the future."))
        if kind == "contact" and not cleaned.get("message"):
            self.add_error("message", _("An enquiry needs the person's message."))
        if kind and purposes is not None:
            offered = purposes_for(kind)
            if set(purposes) - set(offered):
                self.add_error("purposes", _("Choose only purposes this kind of form asks for: %(names)s.")
                               % {"names": ", ".join(p.name for p in offered)})
            missing = [p.name for p in offered if p.required and p not in purposes]
            if missing:
                self.add_error("purposes", _("Without the person's consent to %(names)s we cannot take this in.")
                               % {"names": ", ".join(missing)})
        return cleaned

    def record_data(self) -> dict:
        c = self.cleaned_data
        return {"full_name": c["full_name"], "email": c["email"], "mobile": c["mobile"] or None,
                "address": c["address"], "message": c["message"] if c["kind"] == "contact" else ""}
