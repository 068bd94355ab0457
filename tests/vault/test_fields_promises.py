"""An encrypted value opens only in the row and column it was sealed for, even within one person's data."""

import pytest

from apps.audit.services import Actor
from apps.subjects import services
from apps.subjects.models import Enquiry
from apps.vault.crypto import DecryptionError
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db


def test_a_ciphertext_copied_to_another_row_of_the_same_person_fails_to_open():
    # One person, one data key: only the row id in the associated data tells the two rows apart.
    subject = SubjectFactory()
    first = services.enquiry_add(subject=subject, actor=Actor.subject(subject), message="Is the driver job open?")
    second = services.enquiry_add(subject=subject, actor=Actor.subject(subject), message="Please call after 5pm.")
    sealed = Enquiry.objects.filter(pk=first.pk).values_list("message", flat=True).get()
    Enquiry.objects.filter(pk=second.pk).update(message=sealed)

    assert Enquiry.objects.get(pk=first.pk).message == "Is the driver job open?"
    with pytest.raises(DecryptionError):
        Enquiry.objects.get(pk=second.pk).message  # noqa: B018
