"""The person field staff type into: an email address or mobile number through the blind index, a public id or
a reference; one active person or a clear refusal that does not repeat what was typed."""

import pytest
from django import forms

from apps.subjects.forms import PersonField
from apps.subjects.services import subject_erase
from tests.factories import EngagementFactory, SubjectFactory

pytestmark = pytest.mark.django_db


def test_a_person_is_found_by_email_mobile_public_id_or_reference():
    person = SubjectFactory(email="amina@example.org", mobile="+254712000111")
    EngagementFactory(subject=person, reference="REQ-9")
    field = PersonField()
    for typed in ["AMINA@example.org", "0712 000 111", str(person.pk), "REQ-9"]:
        assert field.clean(typed) == person


def test_two_records_with_one_address_ask_for_the_public_id_and_an_erased_person_is_not_found():
    SubjectFactory(email="twice@example.org")
    SubjectFactory(email="twice@example.org")
    with pytest.raises(forms.ValidationError) as many:
        PersonField().clean("twice@example.org")
    assert many.value.code == "many" and "twice" not in str(many.value)
    gone = EngagementFactory().subject
    subject_erase(subject=gone, reason="subject-request")
    with pytest.raises(forms.ValidationError) as none:
        PersonField().clean(str(gone.pk))
    assert none.value.code == "none"
