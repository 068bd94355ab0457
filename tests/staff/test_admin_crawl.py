"""Need to know: support, and a recruiter who has not revealed, find no personal value anywhere in the admin."""

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.urls import reverse

from apps.audit.services import Actor
from apps.subjects import services
from tests.factories import PDF_BYTES, EngagementFactory, SubjectFactory

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
PERSON = {"full_name": "Nafula Chebet Wekesa", "email": "nafula.wekesa@example.org", "mobile": "+254733445566",
          "address": "Plot 17, Kitale Road, Eldoret", "legal_id_number": "27182818",
          "referees": [{"name": "Kiprono Arap Mutai", "phone": "+254700112233", "relationship": "Pastor"}]}
PLAINTEXT = ["Nafula", "Chebet", "Wekesa", "nafula.wekesa", "733445566", "733 445566", "0733", "Kitale Road",
             "27182818", "Kiprono", "Mutai", "700112233", "Pastor", "ring me on Thursday", "passport scan"]


@pytest.fixture
def seeded(django_capture_on_commit_callbacks):
    subject = SubjectFactory(**PERSON)
    EngagementFactory(subject=subject, reference="REQ-1")
    services.engagement_open(subject=subject, actor=SYSTEM, service="enquiry")
    services.enquiry_add(subject=subject, actor=SYSTEM, message="Please ring me on Thursday")
    services.document_add(subject=subject, actor=SYSTEM, data=PDF_BYTES)
    return subject


def _admin_pages(subject) -> list[str]:
    urls = [reverse("admin:index")]
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        urls.append(reverse(f"admin:{info[0]}_{info[1]}_changelist"))
        for pk in model._default_manager.values_list("pk", flat=True)[:5]:
            urls.append(reverse(f"admin:{info[0]}_{info[1]}_change", args=[pk]))
            urls.append(reverse(f"admin:{info[0]}_{info[1]}_history", args=[pk]))
    urls.append(reverse("admin:subjects_datasubject_changelist") + f"?q={subject.pk}")
    return urls


@pytest.mark.parametrize("role", ["support", "recruiter"])
def test_no_personal_value_appears_on_any_admin_page(seeded, role, django_user_model, staff_client):
    user = django_user_model.objects.create_user(role, password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = staff_client(user)
    found = client.post(reverse("admin:subjects_datasubject_find"), {"q": PERSON["email"]}, follow=True)
    pages = {"search": found.content.decode()}
    assert str(seeded.pk) in pages["search"]
    for url in _admin_pages(seeded):
        response = client.get(url)
        assert response.status_code in {200, 302, 403}, url
        pages[url] = response.content.decode()
    leaks = [(url, value) for url, html in pages.items() for value in PLAINTEXT if value in html]
    assert leaks == []


def test_the_admin_change_history_holds_field_names_never_values(seeded, admin_client):
    engagement = seeded.engagements.get(reference="REQ-1")
    admin_client.post(f"/admin/subjects/serviceengagement/{engagement.pk}/change/",
                      {"reference": "REQ-2", "controller": ""})
    entries = " ".join(f"{e.object_repr} {e.change_message}" for e in LogEntry.objects.all())
    assert "reference" in entries.lower()
    assert not [value for value in PLAINTEXT if value in entries]
