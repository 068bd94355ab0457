"""Self-service pages: what a tampered referee link and "delete everything" really do."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from apps.audit.models import AuditEvent
from apps.notifications.models import Notification
from apps.subjects.links import referee_token
from apps.subjects.models import DataSubject, IdentityDocument, PersonalRecord
from apps.vault.models import DataKey, DeletionCertificate
from tests.consent.helpers import application_post, send_form
from tests.subjects.helpers import tamper_signature

# Jobs are queued on commit, so these tests commit (as a real request does).
pytestmark = pytest.mark.django_db(transaction=True)
LINK_RE = re.compile(r"https?://[^\s\"<>]+/me/[^\s\"<>]+/")


@pytest.fixture
def applicant(client, mailoutbox, demo_purposes) -> str:
    """The path of the private link of one person who applied through the form."""
    assert send_form(client, "/apply/", application_post()).status_code == 302
    return "/" + LINK_RE.search(mailoutbox[-1].body).group(0).split("/", 3)[3]


def test_a_tampered_referee_link_gets_the_link_problem_page_and_removes_nothing(client, applicant):
    subject = DataSubject.objects.get()
    referees = PersonalRecord.objects.get().referees
    link = f"/me/referee/{tamper_signature(referee_token(subject, referees[0]['id'], 'Amani Wekesa'))}/"
    notices, events = Notification.objects.count(), AuditEvent.objects.count()

    for response in [client.get(link), client.post(link)]:
        assert response.status_code == 404
        assert response["Cache-Control"] == "no-store"
        assert "Amani" not in response.content.decode()
    assert PersonalRecord.objects.get().referees == referees
    assert Notification.objects.count() == notices and AuditEvent.objects.count() == events


def test_delete_everything_destroys_the_key_and_the_files_on_disk(client, applicant, mailoutbox):
    subject = DataSubject.objects.get()
    names = IdentityDocument.objects.values_list("stored_name", flat=True)
    stored = [Path(settings.MEDIA_ROOT) / name for name in names]
    assert stored and all(path.exists() for path in stored)
    assert DataKey.objects.filter(subject_id=subject.pk).exists()

    client.post(applicant + "code/", {"action": "send"})
    code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
    assert client.post(applicant + "code/?next=data", {"action": "verify", "code": code}).status_code == 302
    assert client.post(applicant + "delete/", {"confirm": "yes"}).status_code == 200

    assert DeletionCertificate.objects.filter(subject_id=subject.pk).exists()
    assert not DataKey.objects.filter(subject_id=subject.pk).exists()
    assert not any(path.exists() for path in stored)
