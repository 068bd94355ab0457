"""The forms cannot be sent without the consents the service needs."""

import pytest

from apps.consent.selectors import purposes_for
from apps.recruitment.forms import ApplicationForm, ContactForm
from tests.consent.helpers import application_post

pytestmark = pytest.mark.django_db


def _application_form(data: dict) -> ApplicationForm:
    files = {"id_document": data.pop("id_document")}
    files["id_document"].seek(0)
    return ApplicationForm(data, files, purposes=purposes_for("apply"))


@pytest.mark.parametrize("required", ["consent_recruitment", "consent_share-with-employer"])
def test_the_application_is_invalid_without_each_required_consent(demo_purposes, required):
    assert _application_form(application_post()).is_valid()
    form = _application_form(application_post(**{required: None}))
    assert not form.is_valid()
    assert "We cannot process this form without this consent" in str(form.errors[required])


def test_the_application_is_valid_without_the_optional_consent(demo_purposes):
    form = _application_form(application_post(consent_marketing=None))
    assert form.is_valid(), form.errors
    assert "marketing" not in {p.slug for p in form.purposes_given()}


def test_the_contact_form_is_invalid_without_its_required_consent(demo_purposes):
    data = {"key": "6b7a4c1e-0d1a-4b36-9a53-0d8f5a1c0002", "full_name": "Baraka", "email": "baraka@example.org",
            "mobile": "", "message": "Do you hire?"}
    assert not ContactForm(data, purposes=purposes_for("contact")).is_valid()
    assert ContactForm({**data, "consent_enquiry-response": "on"}, purposes=purposes_for("contact")).is_valid()


