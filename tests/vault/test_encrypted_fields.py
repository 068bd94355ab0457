import pytest
from django.core.exceptions import FieldError
from django.db import connection

from apps.subjects.models import PersonalRecord
from apps.vault import services as vault
from apps.vault.crypto import DecryptionError
from tests.factories import SubjectFactory
from tests.staff.helpers import sign_in_verified

pytestmark = pytest.mark.django_db

VALUES = {
    "full_name": "Achieng Otieno-Wambui",
    "email": "achieng.otieno@example.org",
    "mobile": "+254712345678",
    "address": "P.O. Box 4711-00100, Moi Avenue, Nairobi",
    "legal_id_number": "29384756",
}


def _raw_table_text(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 (fixed table names)
        rows = cursor.fetchall()
    return repr(rows) + "".join(bytes(v).decode("latin-1") for row in rows for v in row
                                if isinstance(v, (bytes, memoryview)))


def test_raw_rows_contain_none_of_the_plaintext():
    SubjectFactory(**VALUES, referees=[{"name": "Referee Mwangi", "phone": "+254722000111", "relationship": "Boss"}])
    raw = "".join(_raw_table_text(t) for t in ["subjects_personalrecord", "subjects_subjectlookup",
                                               "subjects_datasubject", "audit_auditevent", "vault_datakey"])
    for value in [*VALUES.values(), "Referee Mwangi", "254722000111", "achieng", "Moi Avenue"]:
        assert value not in raw
    record = PersonalRecord.objects.get()
    assert record.full_name == VALUES["full_name"]
    assert record.mobile.as_e164 == VALUES["mobile"]
    assert record.referees[0]["name"] == "Referee Mwangi"


def test_a_ciphertext_moved_to_another_row_fails_to_decrypt():
    one, two = SubjectFactory(), SubjectFactory()
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM subjects_personalrecord WHERE subject_id = %s", [one.pk.hex if
                       connection.vendor == "sqlite" else one.pk])
        stolen = cursor.fetchone()[0]
        cursor.execute("UPDATE subjects_personalrecord SET address = %s WHERE subject_id = %s",
                       [stolen, two.pk.hex if connection.vendor == "sqlite" else two.pk])
    with pytest.raises(DecryptionError, match="does not authenticate"):
        PersonalRecord.objects.get(subject=two).address  # noqa: B018


def test_a_ciphertext_moved_to_another_column_of_the_same_row_fails():
    subject = SubjectFactory()
    with connection.cursor() as cursor:
        cursor.execute("UPDATE subjects_personalrecord SET address = full_name")
    record = PersonalRecord.objects.get(subject=subject)
    assert record.full_name  # the original column still opens
    with pytest.raises(DecryptionError):
        record.address  # noqa: B018


def test_only_isnull_lookups_exist():
    SubjectFactory(email="find@example.org")
    with pytest.raises(FieldError):
        PersonalRecord.objects.filter(email="find@example.org").count()
    with pytest.raises(FieldError):
        PersonalRecord.objects.filter(full_name__icontains="a").count()
    assert PersonalRecord.objects.filter(mobile__isnull=False).count() == 1


def test_an_edited_value_is_sealed_again_and_reads_back():
    subject = SubjectFactory()
    record = PersonalRecord.objects.get(subject=subject)
    record.address = "Kisumu"
    record.save(update_fields=["address"])
    assert PersonalRecord.objects.get(subject=subject).address == "Kisumu"


def test_deferred_fields_load_and_decrypt_on_access():
    subject = SubjectFactory(full_name="Deferred Person")
    record = PersonalRecord.objects.only("id", "subject").get(subject=subject)
    assert record.full_name == "Deferred Person"


def test_reading_a_whole_record_unwraps_the_key_once_per_unit_of_work():
    subject = SubjectFactory()
    before = vault.unwrap_count()
    with vault.key_scope():
        record = PersonalRecord.objects.get(subject=subject)
        _ = [record.full_name, record.email, record.mobile, record.address, record.referees, record.legal_id_number]
        again = PersonalRecord.objects.get(subject=subject)
        _ = again.full_name
    assert vault.unwrap_count() - before == 1


def test_one_request_to_a_page_unwraps_once(client, admin_user):
    subject = SubjectFactory()
    sign_in_verified(client, admin_user)
    before = vault.unwrap_count()
    response = client.get(f"/admin/subjects/datasubject/{subject.pk}/change/")
    assert response.status_code == 200
    assert vault.unwrap_count() - before == 1
