"""verify_transparency_log checks the log against what lives outside it: the certificates erasure jobs
name, the heads the audit log records as published, and the heads a witness saw (--witness FILE). Each
tampering below is done as a database superuser (raw SQL past the append-only rules)."""

import json

import pytest
from django.core.management import CommandError, call_command

from apps.subjects.models import ErasureJob
from apps.vault import transparency
from apps.vault.models import TreeHead
from tests.vault.helpers import as_superuser, certificate_pk, drop_newest_certificate, erase_people

pytestmark = pytest.mark.django_db


def _heads_file(tmp_path, heads: list[dict], name: str = "heads.jsonl"):
    path = tmp_path / name
    path.write_text("".join(json.dumps(h) + "\n" for h in heads))
    return path


def _seen() -> list[dict]:
    return [transparency.head_json(h) for h in TreeHead.objects.order_by("size")]


def test_an_untouched_log_verifies_with_its_jobs_audit_events_and_a_witness(tmp_path, capsys):
    erase_people(3)
    transparency.tree_head_publish()
    erase_people(2)
    transparency.tree_head_publish()
    assert ErasureJob.objects.exclude(certificate_id=None).count() == 5
    call_command("verify_transparency_log", witness=[_heads_file(tmp_path, _seen())])
    assert "OK: 5 leaves, 5 certificates, 2 heads, consistent with 2 witnessed heads" in capsys.readouterr().out


def test_the_newest_certificate_dropped_with_its_leaf_nodes_and_heads_is_caught(tmp_path, capsys):
    erase_people(3)
    transparency.tree_head_publish()
    erase_people(1)
    transparency.tree_head_publish()
    witnessed = _heads_file(tmp_path, _seen())
    certificate = drop_newest_certificate()
    report = transparency.log_verify()
    assert report.leaves == 3 and report.heads == 1
    assert any(f"ErasureJob {job.pk} names certificate {certificate.pk}, which is no longer in the key store"
               in p for job in ErasureJob.objects.filter(certificate_id=certificate.pk) for p in report.problems)
    assert any("the audit log records tree head 4 as published; the log no longer has that tree" in p
               for p in report.problems)
    with pytest.raises(CommandError, match="does not verify"):
        call_command("verify_transparency_log", witness=[witnessed])
    assert "a witness saw tree head 4; the log has only 3 leaves (rolled back)" in capsys.readouterr().err


def test_a_certificate_named_by_a_job_but_missing_from_the_log_is_caught():
    certificate = erase_people(2)[0]
    transparency.tree_head_publish()
    as_superuser("DELETE FROM vault_logleaf", [])
    as_superuser("DELETE FROM vault_lognode", [])
    as_superuser("DELETE FROM vault_treehead", [])
    as_superuser("DELETE FROM vault_deletioncertificate WHERE id <> %s", [certificate_pk(certificate)])
    as_superuser("UPDATE vault_deletioncertificate SET signed = '' WHERE id = %s", [certificate_pk(certificate)])
    problems = transparency.log_verify().problems
    assert any(f"names certificate {certificate.pk}, which is not in the log" in p for p in problems)


def test_a_witnessed_head_the_log_forked_from_or_not_signed_by_us_is_caught(tmp_path, capsys):
    erase_people(3)
    head = transparency.head_json(transparency.tree_head_publish())
    forked = {**head, "root_hash": "ab" * 32, "signed": ""}
    with pytest.raises(CommandError):
        call_command("verify_transparency_log", witness=[_heads_file(tmp_path, [forked])])
    assert "a witness saw tree head 3; the log is not consistent with it (forked)" in capsys.readouterr().err
    resigned = {**head, "signed": head["signed"][:-4] + ("AAAA" if not head["signed"].endswith("AAAA") else "BBBB")}
    with pytest.raises(CommandError):
        call_command("verify_transparency_log", witness=[_heads_file(tmp_path, [resigned])])
    assert "witnessed head 3:" in capsys.readouterr().err
    with pytest.raises(CommandError, match="not a witness's heads file"):
        call_command("verify_transparency_log", witness=[_heads_file(tmp_path, [{"size": 1}])])
