"""A typo elsewhere on the application does not cost the visitor their uploads: an accepted ID scan and CV are
kept (sealed, under a key of their own, bound to the form's key) and used when the form is sent again."""

import re
import uuid
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from apps.recruitment.models import PendingSubmission, UploadKept
from apps.recruitment.uploads import KeptUploadGone, uploads_kept_expire, uploads_take
from apps.subjects.models import IdentityDocument
from apps.vault.models import DataKey
from tests.consent.helpers import application_post, send_form

pytestmark = pytest.mark.django_db
CV = b"%PDF-1.7\n% my cv\n" + b"stores clerk " * 40


def _with_a_typo(client, key: str):
    return client.post("/apply/", application_post(
        key=key, mobile="12", cv=SimpleUploadedFile("my-cv.pdf", CV, content_type="application/pdf")))


def test_after_a_mistake_the_accepted_scan_and_cv_are_kept_and_used_when_the_form_is_sent(client, demo_purposes):
    key = str(uuid.uuid4())
    page = _with_a_typo(client, key).content.decode()
    assert "Enter a valid phone number" in page
    assert re.search(r"Kept: <strong>scan.pdf</strong>", page) and "Kept: <strong>my-cv.pdf</strong>" in page
    assert "Attach the file again" not in page and 'name="kept" value="1"' in page
    rows = UploadKept.objects.all()
    assert sorted(r.field for r in rows) == ["cv", "id_document"]
    assert all(DataKey.objects.filter(subject_id=r.pk).exists() for r in rows)  # each sealed under its own key
    raw = UploadKept.objects.filter(field="cv").values_list("data", flat=True).get()
    assert b"stores clerk" not in bytes(raw)

    fixed = application_post(key=key, kept="1")
    del fixed["id_document"]  # not sent again
    response = send_form(client, "/apply/", fixed)
    assert response.status_code == 302 and response["Location"] == "/sent/"
    assert not UploadKept.objects.exists() and not DataKey.objects.filter(subject_id__in=[r.pk for r in rows]).exists()
    assert sorted(IdentityDocument.objects.values_list("kind", flat=True)) == ["cv", "id-scan"]


def test_kept_files_serve_only_their_own_form(client, demo_purposes):
    _with_a_typo(client, str(uuid.uuid4()))
    other = application_post(kept="1")  # another form's key: nothing kept for it
    del other["id_document"]
    response = client.post("/apply/", other)
    assert response.status_code == 400 and "Attach the file again" in response.content.decode()
    assert not PendingSubmission.objects.exists()


def test_kept_files_are_destroyed_with_their_keys_when_the_form_is_not_sent(client, demo_purposes, settings):
    _with_a_typo(client, str(uuid.uuid4()))
    ids = list(UploadKept.objects.values_list("pk", flat=True))
    assert uploads_kept_expire(now=timezone.now()) == 0
    later = timezone.now() + timedelta(minutes=settings.UPLOAD_KEPT_MINUTES, seconds=1)
    assert uploads_kept_expire(now=later) == 2
    assert not UploadKept.objects.exists() and not DataKey.objects.filter(subject_id__in=ids).exists()


def test_a_referee_mistake_says_which_referee(client, demo_purposes):
    page = client.post("/apply/", application_post(referee_2_relationship="", referee_1_name="")).content.decode()
    assert "Enter your first referee&#x27;s name." in page and "Enter how your second referee knows you." in page


def test_a_form_without_a_valid_key_keeps_nothing_and_says_what_is_wrong(client, demo_purposes):
    response = client.post("/apply/", application_post(key="not-a-key", mobile="12"))
    assert response.status_code == 400 and not UploadKept.objects.exists()


def test_a_kept_scan_that_expired_before_the_send_is_asked_for_again_and_nothing_is_held(client, demo_purposes):
    key = str(uuid.uuid4())
    _with_a_typo(client, key)
    fixed = application_post(key=key, kept="1")
    del fixed["id_document"]
    UploadKept.objects.filter(field="id_document").delete()  # the sweep took it before the send
    response = client.post("/apply/", fixed)
    assert response.status_code == 400 and "Attach the file again" in response.content.decode()
    assert not PendingSubmission.objects.exists()


def test_a_kept_scan_gone_between_the_check_and_the_hold_stops_the_hold(client, demo_purposes):
    """The race the view cannot see: the file was there when the page was checked, gone when the form is held."""
    key = uuid.uuid4()
    _with_a_typo(client, str(key))
    UploadKept.objects.filter(field="id_document").delete()
    with pytest.raises(KeptUploadGone) as gone, transaction.atomic():
        uploads_take(form_key=key, expected=frozenset({"id_document"}))
    assert gone.value.fields == ["id_document"] and UploadKept.objects.filter(field="cv").exists()


def test_the_contact_form_never_takes_an_applications_kept_files(client, demo_purposes):
    key = str(uuid.uuid4())
    _with_a_typo(client, key)
    client.post("/contact/", {"key": key, "kept": "1", "full_name": "Amani Wekesa", "email": "a@example.org",
                              "message": "Hello", "consent_enquiry-response": "on"})
    pending = PendingSubmission.objects.get()
    assert pending.document is None and pending.cv is None
    assert UploadKept.objects.count() == 2  # still the application's
