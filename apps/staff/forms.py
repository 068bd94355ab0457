"""Staff sign-in: password, then the code from their authenticator app (or a backup code)."""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.utils.translation import gettext_lazy as _

from .twofactor import device_for_code, has_second_factor


class StaffLoginForm(AdminAuthenticationForm):
    otp_token = forms.CharField(
        label=_("Code from your authenticator app (or a backup code)"), required=False, max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        help_text=_("Leave empty only the first time you sign in: you will then set up your authenticator app."))

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "bad_code": _("The code is wrong or has expired. Enter the current code from your authenticator app."),
    }

    def clean(self) -> dict:
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
