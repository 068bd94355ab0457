"""The stand-alone witness (privacy_portal_verify.witness, no Django) follows the live site through several
erasures, and stops with a non-zero exit saying why on a rollback made with SQL, a fork, or a bad signature."""

import json
import os
import subprocess
import sys

import pytest

from apps.vault import transparency
from apps.vault.models import TreeHead
from privacy_portal_verify import witness
from tests.conftest import ROOT
from tests.vault.helpers import as_superuser, drop_newest_certificate, erase_people

pytestmark = pytest.mark.django_db(transaction=True)  # the live server reads what the test wrote


def _witness(live_server, heads, *extra: str) -> subprocess.CompletedProcess:
    """The witness as someone off-site runs it: its own process, no Django, no settings."""
    return subprocess.run([sys.executable, "-m", "privacy_portal_verify.witness", live_server.url,
                           "--heads", str(heads), *extra], cwd=ROOT, capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"]}, check=False, timeout=60)


def _step(n: int) -> None:
    erase_people(n)
    transparency.tree_head_publish()


def test_a_witness_follows_the_site_through_erasures_and_catches_a_rollback_made_with_sql(live_server, tmp_path,
                                                                                          capsys):
    heads = tmp_path / "heads.jsonl"
    assert _witness(live_server, heads).returncode == witness.UNREACHABLE  # no head published yet
    for n in [3, 1, 4]:
        _step(n)
        assert witness.main([live_server.url, "--heads", str(heads)]) == 0
        assert "signed and consistent with every head seen" in capsys.readouterr().out
    done = _witness(live_server, heads)  # nothing new: still consistent, nothing appended
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["size"] for line in heads.read_text().splitlines()] == [3, 4, 8]

    drop_newest_certificate()  # the database cut back to 7 leaves, its heads of 8 gone
    transparency.tree_head_publish()  # a new head of 7, honestly signed
    rolled_back = _witness(live_server, heads)
    assert rolled_back.returncode == witness.TAMPERED
    assert "TAMPERED: rollback: the log has 7 leaves, but a head of size 8 was seen before" in rolled_back.stderr


def test_a_fork_after_a_rollback_that_grew_again_is_caught(live_server, tmp_path, capsys):
    heads = tmp_path / "heads.jsonl"
    for n in [2, 2]:
        _step(n)
        assert witness.main([live_server.url, "--heads", str(heads)]) == 0
    drop_newest_certificate()
    _step(3)  # 3 + 3 = 6 leaves: larger than any head seen, but not an extension of the head of 4
    assert witness.main([live_server.url, "--heads", str(heads)]) == witness.TAMPERED
    assert "fork: head 6 is not an extension of head 4 seen before" in capsys.readouterr().err


def test_a_head_with_a_bad_signature_is_refused(live_server, tmp_path, capsys):
    heads = tmp_path / "heads.jsonl"
    _step(2)
    head = TreeHead.objects.get()
    signature = head.signed.rsplit(".", 1)[1]
    forged = head.signed[: -len(signature)] + ("A" if signature[0] != "A" else "B") + signature[1:]
    as_superuser("UPDATE vault_treehead SET signed = %s WHERE size = %s", [forged, head.size])
    assert witness.main([live_server.url, "--heads", str(heads)]) == witness.TAMPERED
    assert "TAMPERED: bad signature on tree head 2" in capsys.readouterr().err
    assert not heads.exists()  # nothing kept from a head that did not verify
    (tmp_path / "keys.json").write_text(json.dumps({"keys": []}))  # a pinned key set without the site's key
    as_superuser("UPDATE vault_treehead SET signed = %s WHERE size = %s", [head.signed, head.size])
    assert witness.main([live_server.url, "--heads", str(heads), "--keys", str(tmp_path / "keys.json")]) == 1
    assert "no published key" in capsys.readouterr().err
