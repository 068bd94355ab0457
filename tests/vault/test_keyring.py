import base64
import os

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from apps.subjects.models import PersonalRecord
from apps.vault.checks import check_keyring
from apps.vault.keyring import parse_keyring
from apps.vault.models import DataKey
from tests.factories import SubjectFactory


def b64key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.mark.parametrize(
    ("master", "index", "message"),
    [
        ("", "x", "PII_MASTER_KEYS is not set"),
        ("k1:" + b64key(), "", "PII_INDEX_KEY is not set"),
        ("nocolon", b64key(), "must be 'keyid:base64'"),
        ("k1:not-base64!", b64key(), "not valid base64"),
        ("k1:" + base64.b64encode(b"short").decode(), b64key(), "must decode to 32 bytes"),
        (f"k1:{b64key()},k1:{b64key()}", b64key(), "twice"),
    ],
    ids=["no-master", "no-index", "no-colon", "not-base64", "short", "twice"],  # the same in every xdist worker
)
def test_it_names_what_is_wrong_with_the_keys(master, index, message):
    with pytest.raises(ImproperlyConfigured, match=message):
        parse_keyring(master, index)


def test_the_system_check_refuses_missing_keys(settings):
    settings.PII_MASTER_KEYS = ""
    errors = check_keyring(None)
    assert [e.id for e in errors] == ["vault.E001"]
    assert "PII_MASTER_KEYS is not set" in errors[0].msg


def test_the_newest_key_wraps_and_every_key_unwraps():
    a, b = b64key(), b64key()
    ring = parse_keyring(f"new:{a},old:{b}", b64key())
    assert ring.current_id == "new"
    assert set(ring.master_keys) == {"new", "old"}


@pytest.mark.django_db
def test_data_written_under_key_a_reads_after_rotation_with_only_key_b(settings, capsys):
    key_a, key_b = f"a:{b64key()}", f"b:{b64key()}"
    settings.PII_MASTER_KEYS = key_a
    subjects = [SubjectFactory(full_name=f"Person {i}") for i in range(5)]
    assert set(DataKey.objects.values_list("master_key_id", flat=True)) == {"a"}

    settings.PII_MASTER_KEYS = f"{key_b},{key_a}"
    call_command("rotate_master_key", batch_size=2)
    out = capsys.readouterr().out
    assert "rewrapped 2, 3 to go" in out and "done: 5 keys rewrapped" in out
    assert set(DataKey.objects.values_list("master_key_id", flat=True)) == {"b"}

    settings.PII_MASTER_KEYS = key_b  # the old key is removed from the ring
    for i, subject in enumerate(subjects):
        assert PersonalRecord.objects.get(subject=subject).full_name == f"Person {i}"
    call_command("rotate_master_key")  # nothing left: a second run changes nothing
    assert "done: 0 keys rewrapped" in capsys.readouterr().out
