"""A person whose data key cannot be opened (wrapped under a master key this process lacks) shows as "key
unavailable" on the people list, with an alert in the log, instead of a 500 for everyone."""

import logging

import pytest

from apps.vault.models import DataKey
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db


def test_a_key_under_a_missing_master_key_is_one_row_saying_so(admin_client, caplog):
    lost = SubjectFactory(full_name="Imani Wanjala")
    SubjectFactory(full_name="Baraka Otieno")
    DataKey.objects.filter(subject_id=lost.pk).update(master_key_id="retired-2019")
    with caplog.at_level(logging.ERROR, logger="apps.subjects.admin"):
        response = admin_client.get("/admin/subjects/datasubject/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "key unavailable" in page and "Ba••••••••no" in page
    assert [r.getMessage() for r in caplog.records] == [f"a person's data key cannot be opened subject={lost.pk}"]
