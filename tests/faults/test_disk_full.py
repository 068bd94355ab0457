"""Uploads onto a full disk: the visitor who confirms their form is told the truth (503, nothing kept, the form
still waits), no partial file is left behind, and the log raises an alert. Once space is freed the same code
goes through."""

import errno

import pytest

from apps.consent.models import Submission
from apps.recruitment.models import PendingSubmission
from apps.subjects.models import DataSubject
from tests.conftest import log_dir

from .conftest import _stack
from .harness import Visitor

pytestmark = pytest.mark.real_services


def _fill(disk) -> None:
    try:
        (disk / "filler").write_bytes(b"\0" * 512 * 1024)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC


def test_a_full_disk_answers_503_saying_nothing_was_kept_and_leaves_no_partial_file(
        fault_redis, transactional_db, demo_purposes, smtp_server, small_disk):
    stack = _stack(redis=fault_redis, smtp_port=smtp_server[1], media=small_disk, log_dir=log_dir() / "faults")
    stack.site.log_path.write_bytes(b"")
    (small_disk / "vault").mkdir()
    _fill(small_disk)
    stack.site.start()
    try:
        visitor = Visitor(stack.site.url)
        form = visitor.form("/apply/")
        # The form itself is one sealed row: it is kept whatever the disk. Its files are written when the
        # address's owner confirms it, and that is where a full disk is met.
        assert visitor.apply("full-0@example.org", hidden=form).headers["Location"].endswith("/sent/code/")
        code = PendingSubmission.objects.get().code
        refused = [visitor.confirm(code) for _ in range(3)]
        assert [r.status_code for r in refused] == [503] * 3
        assert {r.headers["Retry-After"] for r in refused} == {"600"}
        assert "We could not save your form just now: nothing was kept" in refused[0].text
        assert "lost" not in refused[0].text
        assert list((small_disk / "vault").iterdir()) == []  # no empty or partial encrypted file
        assert DataSubject.objects.count() == Submission.objects.count() == 0
        assert PendingSubmission.objects.count() == 1  # still waiting, with its code
        assert stack.site.log().count("ALERT storage full") == 3

        (small_disk / "filler").unlink()  # an operator frees space; the visitor types the code again
        confirmed = visitor.confirm(code)
        assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/sent/")
        assert len(list((small_disk / "vault").iterdir())) == 1
        assert DataSubject.objects.count() == Submission.objects.count() == 1
        assert not PendingSubmission.objects.exists()
    finally:
        stack.site.stop()
