"""The personal-data map: complete, and really driving erasure, export and the records of processing."""

import csv
import io
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import checks
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.api.models import IdempotencyKey
from apps.audit.services import Actor
from apps.consent.models import Purpose
from apps.consent.services import CollectionContext
from apps.core import datamap
from apps.policies.models import PolicyDisclosure, PolicyVersion
from apps.policies.services import disclosure_choice_record, disclosure_record, policy_version_publish
from apps.recruitment.intake import submission_receive
from apps.selfservice.services import stepup_issue
from apps.staff.services import breach_people_notify, breach_record, rights_request_record
from apps.subjects import services
from apps.subjects.models import Controller, DataSubject, ErasureJob
from apps.vault.models import DataKey, DeletionCertificate
from tests.factories import PDF_BYTES, EngagementFactory
from tests.staff.helpers import sign_in_verified

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
PERSON_HOLDINGS = [h for h in datamap.holdings() if h.person is not None]
AFTER_ERASURE = {"vault.DeletionCertificate"}  # evidence that exists once the person's data is erased


@pytest.fixture
def everywhere(demo_purposes, django_capture_on_commit_callbacks, django_user_model) -> DataSubject:
    """One person with at least one row in every mapped model that belongs to a person."""
    with django_capture_on_commit_callbacks(execute=True):
        received = submission_receive(
            key=uuid.uuid4(), kind="apply",
            data={"full_name": "Wanjiru Kamau", "email": "wanjiru@example.org", "mobile": "+254712345678",
                  "address": "P.O. Box 42, Nyeri", "legal_id_type": "national-id", "legal_id_number": "23456789",
                  "referees": [{"name": "Otieno Ouma", "phone": "+254722111222", "relationship": "Manager"}]},
            purposes=list(Purpose.objects.filter(slug__in=["recruitment", "share-with-employer", "marketing"])),
            context=CollectionContext(collection_point="apply-form", form_version="t", source="web-form",
                                      ip="192.0.2.7", user_agent="Firefox/1"),
            document=PDF_BYTES,
        )
        subject = received.submission.subject
        # The same address on a public form again: held until the person confirms it.
        submission_receive(key=uuid.uuid4(), kind="apply",
                           data={"full_name": "Wanjiru Kamau", "email": "wanjiru@example.org", "mobile": None,
                                 "address": "P.O. Box 42, Nyeri", "referees": []},
                           purposes=list(Purpose.objects.filter(slug__in=["recruitment", "share-with-employer"])),
                           context=CollectionContext(collection_point="apply-form", form_version="t",
                                                     source="web-form"), document=PDF_BYTES)
        services.enquiry_add(subject=subject, actor=SYSTEM, message="Please call me after 5pm")
        stepup_issue(subject=subject)
        services.legal_hold_place(subject=subject, actor=SYSTEM, basis="ended yesterday", fields=["full_name"],
                                  until=timezone.now() - timedelta(days=1))
        ErasureJob.objects.create(subject=subject, reason="retention", state=ErasureJob.State.DONE)
        services.subject_reveal(subject=subject, staff_user=django_user_model.objects.create_user("officer"),
                                reason="rights-request", note="Asked by phone for a copy")
        rights_request_record(actor=SYSTEM, kind="access", channel="phone", received_at=timezone.now(),
                              subject=subject, identity_check="call-back")
        # A client company handed the same person over through the API with an Idempotency-Key.
        IdempotencyKey.objects.create(controller=Controller.objects.create(name="Client Ltd"), key="k-1",
                                      request_sha256="0" * 64, subject=subject, status_code=201, response={})
        # A policy change with a new disclosure (campaign row), an opt-out and a disclosure the law required.
        draft = PolicyVersion.objects.create(title="Privacy policy", summary="Background checks.", body="Text.")
        PolicyDisclosure.objects.create(version=draft, key="background-check", recipient="Checks Ltd",
                                        recipient_category="Vetting agency", purpose="background checks",
                                        purpose_slug="recruitment", data_categories=["identity"])
        v2 = policy_version_publish(version=draft, actor=SYSTEM).version
        disclosure_choice_record(subject=subject, version=v2, key="background-check", choice="opted-out",
                                 source="email-link")
        disclosure_record(subject=subject, actor=SYSTEM, recipient="High Court", data_categories=["identity"],
                          legal_basis="legal-obligation", reference="HCCR 12/2026")
        breach = breach_record(actor=SYSTEM, summary="A stolen laptop.", discovered_at=timezone.now(),
                               categories=["contact"], people_affected=1)
        breach_people_notify(breach=breach, subject_ids=[subject.pk],
                             staff_user=django_user_model.objects.get(username="officer"))
    for holding in PERSON_HOLDINGS:
        if holding.model not in AFTER_ERASURE:
            assert holding.rows_of([subject.pk]).exists(), f"extend this fixture: no {holding.model} row"
    return subject


def test_every_model_that_holds_personal_data_is_in_the_map():
    assert datamap.unmapped_models() == []
    assert not [m for m in checks.run_checks() if m.id == "core.E001"]


def test_a_model_left_out_of_the_map_fails_the_system_check(monkeypatch):
    left_out = {label: h for label, h in datamap._holdings.items() if label != "subjects.Enquiry"}
    monkeypatch.setattr(datamap, "_holdings", left_out)
    assert datamap.unmapped_models() == ["subjects.Enquiry"]
    errors = [m for m in checks.run_checks() if m.id == "core.E001"]
    assert len(errors) == 1 and "subjects.Enquiry" in errors[0].msg


@pytest.mark.parametrize("left_out", ["vault.DataKey", "subjects.ServiceEngagement"])
def test_a_model_that_only_points_at_a_person_fails_the_system_check(monkeypatch, left_out):
    """A UUID column declared in PERSON_ID_COLUMNS (DataKey.subject_id) or a foreign key alone, with no
    encrypted field, is enough to be flagged."""
    model = datamap._holdings[left_out].model_class
    assert not any(getattr(f, "encrypted", False) for f in model._meta.concrete_fields)
    monkeypatch.setattr(datamap, "_holdings", {k: h for k, h in datamap._holdings.items() if k != left_out})
    assert datamap.unmapped_models() == [left_out]
    errors = [m for m in checks.run_checks() if m.id == "core.E001"]
    assert len(errors) == 1 and left_out in errors[0].msg


def test_evidence_about_people_is_mapped_with_its_own_handling_and_listed_in_the_records(capsys):
    evidence = {"audit.AuditEvent", "vault.DataKey", "vault.DeletionCertificate", "vault.LogLeaf",
                "subjects.Reveal", "recruitment.PendingSubmission"}
    assert evidence <= set(datamap._holdings)
    for label in evidence - {"subjects.Reveal", "recruitment.PendingSubmission"}:
        holding = datamap._holdings[label]
        assert holding.purposes and holding.legal_basis and holding.not_exported
        assert isinstance(holding.retention, datamap.AsEvidence) or isinstance(holding.on_erasure, datamap.Delete)
    # A UUID column that is not declared as naming a person is not a person (an unconfirmed form's id).
    assert "notifications.Notification" not in datamap.unmapped_models()
    call_command("records_of_processing", "--format", "csv")
    rows = {r["Where (model)"]: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert "kept as evidence" in rows["audit.AuditEvent"]["Retention"]
    assert rows["vault.DataKey"]["On erasure"] == "deleted"


def test_erasure_leaves_no_row_of_the_person_in_any_mapped_table_but_the_pseudonymous_ones(everywhere, settings):
    other = EngagementFactory().subject
    certificate = services.subject_erase(subject=everywhere, reason="subject-request")

    assert datamap.rows_remaining(subject_ids=[everywhere.pk]) == {}
    kept = {h.model for h in PERSON_HOLDINGS if h.rows_of([everywhere.pk]).exists()}
    assert kept == {h.model for h in PERSON_HOLDINGS if isinstance(h.on_erasure, datamap.Keep)}
    assert not DataKey.objects.filter(subject_id=everywhere.pk).exists()
    assert not [p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()]
    assert set(certificate.categories) >= {"identity", "contact", "id-document", "message", "notification"}
    assert datamap.rows_remaining(subject_ids=[other.pk]) != {}  # nobody else's


def test_the_export_shows_every_category_the_map_holds_about_the_person(everywhere):
    export = datamap.export_for(subject_id=everywhere.pk)

    shown = {c for section in export["data"].values() for c in section["categories"]}
    listed = {c for entry in export["also_held"] for c in entry["categories"]}
    assert shown | listed == {c for h in PERSON_HOLDINGS for c in h.categories}
    assert all(section["rows"] for section in export["data"].values())
    assert all(entry["why_not_shown"] for entry in export["also_held"])
    assert export["data"]["record"]["rows"][0]["full_name"] == "Wanjiru Kamau"
    assert export["data"]["enquiries"]["rows"][0]["message"] == "Please call me after 5pm"


def test_erasing_a_batch_takes_the_same_statements_for_ten_people_as_for_forty():
    def statements(n: int) -> int:
        people = [EngagementFactory().subject for _ in range(n)]
        jobs = [(job.pk, job.subject_id, job.reason) for job in
                services.erasures_request(subject_ids=[p.pk for p in people], reason="retention", actor=SYSTEM)]
        with CaptureQueriesContext(connection) as queries:
            services.subjects_erase(jobs=jobs)
        assert DeletionCertificate.objects.filter(subject_id__in=[p.pk for p in people]).count() == n
        return len(queries)

    # The public log reads the stored right edge of its tree (a query for leaves, one for nodes, when that
    # edge has them), so both batches start where it has both: after 3 people, then after 13.
    statements(3)
    assert statements(10) == statements(40)


def test_records_of_processing_name_every_holding_in_markdown_and_csv(capsys):
    call_command("records_of_processing", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["Where (model)"] for r in rows] == [h.model for h in datamap.holdings()]
    record = next(r for r in rows if r["Where (model)"] == "subjects.PersonalRecord")
    assert "full_name" in record["Encrypted"] and record["On erasure"] == "deleted"

    call_command("records_of_processing")
    markdown = capsys.readouterr().out
    assert markdown.startswith("Data controller: Jamii Talent Ltd, registered with the Office of the Data Protection "
                               "Commissioner as number ODPC/DC/TEST/0001.\n\n| Where (model) |")
    assert all(f"| {h.model} |" in markdown for h in datamap.holdings())


def test_the_privacy_officer_reads_the_records_in_the_admin_and_outsiders_cannot(client, admin_user,
                                                                                 django_user_model):
    assert client.get("/admin/records-of-processing/").status_code == 302  # to the sign-in page
    client.force_login(django_user_model.objects.create_user("visitor", password="x" * 14))
    assert client.get("/admin/records-of-processing/").status_code == 302
    sign_in_verified(client, admin_user)
    page = client.get("/admin/records-of-processing/").content.decode()
    assert all(h.model in page for h in datamap.holdings())
    download = client.get("/admin/records-of-processing/?format=csv")
    assert download["Content-Type"].startswith("text/csv")
