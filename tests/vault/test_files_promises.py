"""An encrypted file opens only as the document it was stored for, even among one person's documents."""

import pytest

from apps.audit.services import Actor
from apps.subjects import services
from apps.subjects.models import IdentityDocument
from apps.vault.crypto import DecryptionError
from tests.factories import PDF_BYTES, PNG_BYTES, SubjectFactory

pytestmark = pytest.mark.django_db


def test_swapping_the_files_of_two_documents_of_the_same_person_makes_both_unreadable():
    subject = SubjectFactory()
    passport = services.document_add(subject=subject, actor=Actor.subject(subject), data=PDF_BYTES)
    photo = services.document_add(subject=subject, actor=Actor.subject(subject), data=PNG_BYTES)
    assert b"".join(services.document_read(document=passport)) == PDF_BYTES  # both open before the swap

    IdentityDocument.objects.filter(pk=passport.pk).update(stored_name=photo.stored_name)
    IdentityDocument.objects.filter(pk=photo.pk).update(stored_name=passport.stored_name)

    for document in IdentityDocument.objects.filter(subject=subject):
        with pytest.raises(DecryptionError):
            b"".join(services.document_read(document=document))
