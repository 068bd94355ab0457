from django import forms
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from apps.core.phones import phone_format
from apps.core.uploads import UploadLimits
from apps.recruitment.forms import ApplicationForm, PersonalDetailsForm
from apps.subjects.models import IdentityDocument, PersonalRecord

APPLY_ONLY = ["address", "legal_id_type", "legal_id_number", "referee_1_id", "referee_1_name", "referee_1_phone",
              "referee_1_relationship", "referee_2_id", "referee_2_name", "referee_2_phone", "referee_2_relationship",
              "experience", "id_document", "cv"]
FILE_KINDS = {"id_document": IdentityDocument.Kind.ID_SCAN, "cv": IdentityDocument.Kind.CV}


class CorrectionForm(PersonalDetailsForm):
    """Edit what we hold, with the same validation as the application form."""

    experience = forms.CharField(label=_("Your work experience (optional)"), required=False, max_length=2000,
                                 widget=forms.Textarea(attrs={"rows": 4}))
    # A file chosen here replaces the one we hold of its kind; none chosen keeps it.
    id_document = forms.FileField(label=_("Replace the scan or photo of your ID (optional)"), required=False,
                                  widget=forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}))
    cv = forms.FileField(label=_("Replace your CV, or add one (optional)"), required=False,
                         widget=forms.FileInput(attrs={"accept": "application/pdf"}))
    # The same checks as the application form: the bytes decide the type, never the name.
    clean_id_document = ApplicationForm.clean_id_document
    clean_cv = ApplicationForm.clean_cv

    # Which referee each group of fields was shown for: one may have objected while the page was open.
    referee_1_id = forms.CharField(required=False, widget=forms.HiddenInput)
    referee_2_id = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, record: PersonalRecord, documents: list[IdentityDocument] = (), **kwargs) -> None:
        self.record = record
        initial = {"full_name": record.full_name, "email": record.email, "mobile": phone_format(record.mobile),
                   "address": record.address, "legal_id_type": record.legal_id_type,
                   "legal_id_number": record.legal_id_number, "experience": record.experience or ""}
        for i, referee in enumerate(record.referees[:2], start=1):
            initial.update({f"referee_{i}_id": referee.get("id", ""), f"referee_{i}_name": referee.get("name"),
                            f"referee_{i}_phone": phone_format(referee.get("phone")),
                            f"referee_{i}_relationship": referee.get("relationship")})
        super().__init__(*args, initial=initial, **kwargs)
        if not record.legal_id_number:  # an enquiry: no application details to correct
            for name in APPLY_ONLY:
                del self.fields[name]
            self.fields["mobile"].required = False
        else:  # a referee who objected is gone; their slot is not asked for again
            for i in range(len(record.referees) + 1, 3):
                for part in ("id", "name", "phone", "relationship"):
                    del self.fields[f"referee_{i}_{part}"]
            self._describe_files(documents)

    def _describe_files(self, documents) -> None:
        """Under each file field, the file we hold of that kind (its type and when it was sent)."""
        held = {document.kind: document for document in sorted(documents, key=lambda d: d.uploaded_at)}
        rules = {"id_document": _("PDF, JPEG or PNG, at most 10 MB."), "cv": _("A PDF, at most 5 MB.")}
        for name, kind in FILE_KINDS.items():
            document = held.get(kind)
            if document is None:
                self.fields[name].help_text = gettext("We hold none. %(rules)s") % {"rules": rules[name]}
                continue
            self.fields[name].help_text = gettext(
                "We hold the %(type)s you sent on %(date)s. Choose a file only to replace it. %(rules)s") % {
                "type": document.get_content_type_display(), "rules": rules[name],
                "date": formats.date_format(timezone.localtime(document.uploaded_at), "DATE_FORMAT")}

    @classmethod
    def upload_limits(cls) -> UploadLimits:
        """The largest body the page can honestly be: both files at their limit plus the text."""
        return UploadLimits(max_body_bytes=settings.UPLOAD_MAX_BYTES * 2 + ApplicationForm.TEXT_ALLOWANCE_BYTES,
                            file_fields=frozenset(FILE_KINDS))

    def groups(self) -> list[tuple[str, list]]:
        """The fields under the headings the application form used, each referee in a group of their own."""
        sections = [(_("About you"), ["full_name", "email", "mobile", "address"]),
                    (_("Your identity document"), ["legal_id_type", "legal_id_number", "id_document"]),
                    (_("First referee"), ["referee_1_name", "referee_1_phone", "referee_1_relationship"]),
                    (_("Second referee"), ["referee_2_name", "referee_2_phone", "referee_2_relationship"]),
                    (_("Your experience and CV"), ["experience", "cv"])]
        return [(legend, [self[name] for name in names if name in self.fields]) for legend, names in sections
                if any(name in self.fields for name in names)]

    def clean(self) -> dict:
        cleaned = super().clean()
        shown = [cleaned.get(f"referee_{i}_id") for i in (1, 2) if f"referee_{i}_id" in self.fields]
        held = [r.get("id", "") for r in self.record.referees[:2]]
        if self._sent("referee_1_name") and shown != held:
            raise forms.ValidationError(_("This page is out of date: your referees changed since you opened it. "
                                          "Nothing was saved. Open the page again."), code="stale")
        return cleaned

    def _sent(self, name: str) -> bool:
        """A field the page showed and the browser sent: a field not on the page is never changed (an empty
        value is a change only when the field itself came back empty)."""
        return name in self.fields and name in self.data

    def changes(self) -> dict:
        c = self.cleaned_data
        changes = {name: c[name] for name in ["full_name", "email", "mobile", "address", "legal_id_type",
                                              "legal_id_number"] if self._sent(name)}
        if self._sent("referee_1_name"):
            referees = []
            for i, old in enumerate(self.record.referees[:2], start=1):
                referees.append({**old, "name": c[f"referee_{i}_name"], "phone": c[f"referee_{i}_phone"].as_e164,
                                 "relationship": c[f"referee_{i}_relationship"]})
            changes["referees"] = referees
        if self._sent("experience") and c["experience"] != (self.record.experience or ""):
            changes["experience"] = c["experience"]
        return changes

    def replacements(self) -> dict[str, bytes]:
        """The files chosen on the page, by kind ({"id-scan": bytes, "cv": bytes}); a field left empty keeps
        the file we hold."""
        return {FILE_KINDS[name]: self.cleaned_data[name] for name in FILE_KINDS
                if name in self.fields and self.cleaned_data.get(name)}


class StepUpForm(forms.Form):
    code = forms.CharField(label=_("6-digit code"), min_length=6, max_length=6,
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code",
                                                         "pattern": "[0-9]{6}"}))


class ResendForm(forms.Form):
    address = forms.CharField(label=_("Your email address or mobile number"), max_length=254,
                              help_text=_("The one you gave us when you sent the form."))
