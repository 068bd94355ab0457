"""The public collection forms (an application, a message to us). Consent boxes come from apps.consent.forms."""

import re
import unicodedata
import uuid
from datetime import date

from confusable_homoglyphs import confusables
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.formfields import PhoneNumberField

from apps.consent.forms import ConsentFormMixin
from apps.consent.models import Purpose
from apps.core.uploads import UploadLimits
from apps.subjects.models import IdentityDocument, PersonalRecord
from apps.subjects.selectors import vacancies_open, vacancies_open_by_id
from apps.subjects.services import sniff_content_type

FORM_VERSIONS = {"apply": "apply-2026-12", "contact": "contact-2026-11", "rights": "rights-2026-12"}

# Words of letters (any script, accents and combining vowel signs included) joined by one space, hyphen or
# apostrophe. No digits, dots, colons or slashes (so no link), no line breaks: a name is pasted into SMS to
# unverified numbers.
NAME_SEPARATORS = re.compile(r"[ '’-]")
NAME_MIN, NAME_MAX = 2, 100
# A name's shape, not a sentence: at most 5 words, each of at most 3 parts joined by a hyphen or an apostrophe
# ("N'Dour-Wanjiru", "Ng’ang’a"), each part at most 30 letters.
NAME_WORDS_MAX, NAME_PARTS_MAX, NAME_PART_MAX = 5, 3, 30
# Letters that show nothing (Unicode "default ignorable" letters: Hangul and Khmer fillers).
INVISIBLE_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u17b4\u17b5")


def _is_name_part(part: str) -> bool:
    """A letter (not a modifier letter, which can look like punctuation: ː ˌ), then letters or the combining
    marks that belong to them (Devanagari vowel signs, accents typed apart)."""
    if not part or part[0] in INVISIBLE_LETTERS or unicodedata.category(part[0]) not in {"Lu", "Ll", "Lt", "Lo"}:
        return False
    return all(c not in INVISIBLE_LETTERS and unicodedata.category(c) in {"Lu", "Ll", "Lt", "Lo", "Mn", "Mc"}
               for c in part[1:])


def validate_person_name(value: str) -> None:
    if not NAME_MIN <= len(value) <= NAME_MAX:
        raise ValidationError(_("Enter a name of %(min)s to %(max)s characters.") % {"min": NAME_MIN, "max": NAME_MAX},
                              code="length")
    words = value.split(" ")
    parts = [NAME_SEPARATORS.split(word) for word in words]
    if not all(_is_name_part(part) for word in parts for part in word):
        raise ValidationError(_("Enter a name using letters only, with spaces, hyphens or apostrophes between them."),
                              code="invalid")
    if len(words) > NAME_WORDS_MAX or any(len(word) > NAME_PARTS_MAX for word in parts) \
            or any(len(part) > NAME_PART_MAX for word in parts for part in word):
        raise ValidationError(_("Enter a name of at most %(words)s words, as it is written on an ID.")
                              % {"words": NAME_WORDS_MAX}, code="shape")
    if any(confusables.is_mixed_script(part) for word in parts for part in word):
        raise ValidationError(_("Each word of a name must be written in one alphabet: a word mixes letters of "
                                "different alphabets that look alike."), code="mixed_script")


class PersonNameField(forms.CharField):
    """A person's name, validated as a name: it may be sent by SMS to someone else."""

    def __init__(self, **kwargs) -> None:
        super().__init__(max_length=NAME_MAX, validators=[validate_person_name], **kwargs)

    def to_python(self, value: str | None) -> str:
        value = super().to_python(value)
        # One form for accented letters; runs of spaces count as one (a line break is not a space).
        return re.sub(r" {2,}", " ", unicodedata.normalize("NFC", value))


# django-phonenumber-field has no Swahili catalogue: the message is ours, so it is translated.
PHONE = {"invalid": _("Enter a valid phone number, for example 0712 345 678 or +254 712 345 678.")}

class ContactForm(ConsentFormMixin, forms.Form):
    key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    full_name = PersonNameField(label=_("Your name"), widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label=_("Email address"), max_length=254,
                             help_text=_("Required: we reply here and send your private link here."),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    mobile = PhoneNumberField(label=_("Mobile number (optional)"), required=False, region="KE", error_messages=PHONE,
                              help_text=_("Optional. If you give it, we also send your link by SMS. For example "
                                          "0712 345 678 or +254 712 345 678."),
                              widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    message = forms.CharField(label=_("Your message"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, purposes: list[Purpose], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.add_purposes(purposes)

    def clean(self) -> dict:
        cleaned = super().clean()
        self.clean_purposes()
        return cleaned


id_number_validator = RegexValidator(r"^[A-Za-z0-9-]{4,20}$", _("Enter the number as printed: 4 to 20 letters, "
                                                                "digits or dashes."))


class PersonalDetailsForm(forms.Form):
    """The fields of a personal record, validated the same way wherever they are entered."""

    full_name = PersonNameField(label=_("Full name"), widget=forms.TextInput(attrs={"autocomplete": "name"}))
    email = forms.EmailField(label=_("Email address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    mobile = PhoneNumberField(label=_("Mobile number"), region="KE", error_messages=PHONE,
                              help_text=_("For example 0712 345 678 or +254 712 345 678."),
                              widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    address = forms.CharField(label=_("Postal or physical address"), max_length=1000,
                              widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}))
    legal_id_type = forms.ChoiceField(label=_("Type of ID"), choices=PersonalRecord.LegalIdType.choices)
    legal_id_number = forms.CharField(label=_("ID number"), max_length=20, validators=[id_number_validator])
    # Each referee field appears twice: its messages say which referee (the error summary lists them apart).
    referee_1_name = PersonNameField(label=_("Name"),
                                     error_messages={"required": _("Enter your first referee's name.")})
    referee_1_phone = PhoneNumberField(
        label=_("Phone number"), region="KE", help_text=_("A mobile number, for example 0722 123 456."),
        error_messages={**PHONE, "required": _("Enter your first referee's phone number.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "size": 20}))
    referee_1_relationship = forms.CharField(label=_("How they know you"), max_length=100, error_messages={
        "required": _("Enter how your first referee knows you.")})
    referee_2_name = PersonNameField(label=_("Name"),
                                     error_messages={"required": _("Enter your second referee's name.")})
    referee_2_phone = PhoneNumberField(
        label=_("Phone number"), region="KE", help_text=_("A mobile number, for example 0722 123 456."),
        error_messages={**PHONE, "required": _("Enter your second referee's phone number.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "size": 20}))
    referee_2_relationship = forms.CharField(label=_("How they know you"), max_length=100, error_messages={
        "required": _("Enter how your second referee knows you.")})

    def record_data(self) -> dict:
        c = self.cleaned_data
        return {
            "full_name": c["full_name"], "email": c["email"], "mobile": c["mobile"], "address": c["address"],
            "legal_id_type": c["legal_id_type"], "legal_id_number": c["legal_id_number"],
            "referees": [{"name": c[f"referee_{i}_name"], "phone": c[f"referee_{i}_phone"].as_e164,
                          "relationship": c[f"referee_{i}_relationship"]} for i in (1, 2)],
        }


# Kenyan order first (day month year); the ISO form is what a browser's date picker and the API send.
DATE_OF_BIRTH_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %m %Y", "%Y-%m-%d"]
OLDEST_APPLICANT = 100


def age_on(born: date, today: date) -> int:
    """Completed years on `today` (someone born on 29 February turns a year older on 1 March)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def validate_applicant_age(born: date) -> None:
    """An applicant is at least MINIMUM_APPLICANT_AGE today in Nairobi (Data Protection Act 2019, s.33). Code
    `under_age` for a child: the caller refuses the whole form and keeps nothing."""
    today = timezone.localdate()
    if born > today or age_on(born, today) > OLDEST_APPLICANT:
        raise ValidationError(_("Enter your date of birth as day, month and year, for example 23/04/1998."),
                              code="invalid")
    if age_on(born, today) < settings.MINIMUM_APPLICANT_AGE:
        raise ValidationError(_("You must be %(age)s or older to apply.") % {"age": settings.MINIMUM_APPLICANT_AGE},
                              code="under_age")


class VacancyChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.title} ({obj.controller.name}, {obj.location})"

    def to_python(self, value):
        """The chosen job among the open ones as cached (no query per post); the intake checks it is still open
        when the person confirms, under a lock."""
        if value in self.empty_values:
            return None
        try:
            chosen = vacancies_open_by_id().get(str(uuid.UUID(str(value))))
        except ValueError:
            chosen = None
        if chosen is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice",
                                  params={"value": value})
        return chosen


class ApplicationForm(ConsentFormMixin, PersonalDetailsForm):
    key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    # Only open vacancies are choices: a closed or unknown one is refused with a message, nothing stored.
    vacancy = VacancyChoiceField(
        label=_("The job you are applying for"), queryset=vacancies_open(), empty_label=_("Choose a job"),
        error_messages={"required": _("Choose the job you are applying for."),
                        "invalid_choice": _("This job is closed or does not exist. Choose one of the open jobs.")},
    )
    # Asked only to check the age rule; never stored (record_data leaves it out).
    date_of_birth = forms.DateField(
        label=_("Date of birth"), input_formats=DATE_OF_BIRTH_FORMATS, validators=[validate_applicant_age],
        help_text=_("Day, month and year, for example 23/04/1998. We only check that you are old enough to apply; "
                    "we do not keep it."),
        error_messages={"required": _("Enter your date of birth."),
                        "invalid": _("Enter your date of birth as day, month and year, for example 23/04/1998.")},
        widget=forms.TextInput(attrs={"autocomplete": "bday", "size": 12}))
    id_document = forms.FileField(
        label=_("Scan or photo of your ID"),
        help_text=_("PDF, JPEG or PNG, at most 10 MB. It is encrypted before it is stored."),
        widget=forms.FileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )
    experience = forms.CharField(
        label=_("Your work experience (optional)"), required=False, max_length=2000,
        help_text=_("A few lines about the work you have done, at most 2000 characters. It is encrypted."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    cv = forms.FileField(
        label=_("Your CV (optional)"), required=False,
        help_text=_("A PDF, at most 5 MB. It is encrypted before it is stored."),
        widget=forms.FileInput(attrs={"accept": "application/pdf"}),
    )

    # Room for every text field at its longest, the consent boxes and the multipart framing.
    TEXT_ALLOWANCE_BYTES = 64 * 1024

    def __init__(self, *args, purposes: list[Purpose], kept: dict[str, str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.add_purposes(purposes)
        # Files kept from this form's earlier try ({field: name}): not asked for again (apps.recruitment.uploads).
        self.kept = dict(kept or {})
        for name in self.kept:
            self.fields[name].required = False

    @property
    def from_a_child(self) -> bool:
        """The date of birth says the applicant is under the minimum age: the whole form is refused."""
        return self.has_error("date_of_birth", "under_age")

    def accepted_uploads(self) -> dict[str, tuple[str, bytes]]:
        """The files sent with this try that passed their own checks ({field: (name, data)}), for keeping when
        another field has a mistake."""
        return {name: (self.files[name].name, self.cleaned_data[name]) for name in ("id_document", "cv")
                if name in self.files and name not in self.errors and self.cleaned_data.get(name)}

    @classmethod
    def upload_limits(cls) -> UploadLimits:
        """The largest body this form can honestly be: one ID scan at its limit plus the text."""
        files = frozenset(name for name, field in cls.base_fields.items() if isinstance(field, forms.FileField))
        return UploadLimits(max_body_bytes=settings.UPLOAD_MAX_BYTES * len(files) + cls.TEXT_ALLOWANCE_BYTES,
                            file_fields=files)

    def clean_id_document(self) -> bytes | None:
        upload = self.cleaned_data.get("id_document")
        if not upload:
            return None  # kept from the earlier try
        if upload.size > IdentityDocument.MAX_BYTES:
            raise ValidationError(_("The file is larger than 10 MB. Please send a smaller scan or photo."))
        data = upload.read()
        if sniff_content_type(data[:16]) is None:
            raise ValidationError(_("This file is not a PDF, JPEG or PNG. Please send a scan or photo in one of "
                                    "these formats."))
        return data

    def clean_cv(self) -> bytes | None:
        upload = self.cleaned_data.get("cv")
        if not upload:
            return None
        if upload.size > IdentityDocument.CV_MAX_BYTES:
            raise ValidationError(_("The CV is larger than 5 MB. Please send a smaller PDF."))
        data = upload.read()
        if sniff_content_type(data[:16]) not in IdentityDocument.CV_TYPES:
            raise ValidationError(_("This file is not a PDF. Please send your CV as a PDF."))
        return data

    def record_data(self) -> dict:
        return {**super().record_data(), "experience": self.cleaned_data.get("experience", "")}

    def clean(self) -> dict:
        cleaned = super().clean()
        self.clean_purposes()
        return cleaned


# The rights a person may ask for without an account (Data Protection Act 2019, s.26; the Data Protection (General)
# Regulations, 2021, regs. 7-12). The same values as the staff register's request types (apps.staff).
RIGHTS = [
    ("access", _("See the personal data you hold about me (access)")),
    ("correction", _("Correct personal data about me that is wrong (correction)")),
    ("erasure", _("Delete my personal data (erasure)")),
    ("objection", _("Stop using my personal data for a purpose I object to (objection)")),
    ("portability", _("Give me my personal data in a file I can take elsewhere (portability)")),
    ("restriction", _("Keep my personal data but stop using it for now (restriction)")),
]


class RightsRequestForm(forms.Form):
    """A request about one's own data, from anyone, without an account: confirmed by the code emailed to the
    address given, as every public form is (apps.recruitment.intake)."""

    key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    email = forms.EmailField(label=_("Your email address"), max_length=254,
                             help_text=_("The address you gave us. We send a code to it to make sure the request "
                                         "is yours, and answer you there."),
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    right = forms.ChoiceField(label=_("What do you ask us to do?"), choices=RIGHTS, widget=forms.RadioSelect,
                              error_messages={"required": _("Choose what you ask us to do.")})


class IntakeCodeForm(forms.Form):
    """The 6-digit code emailed to the address a form gave."""

    code = forms.RegexField(
        regex=r"^\s*[0-9]{6}\s*$", label=_("The 6-digit code from the email"), max_length=12,
        error_messages={"invalid": _("Type the 6 digits of the code, for example 042917."),
                        "required": _("Type the 6 digits of the code from the email.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}))
