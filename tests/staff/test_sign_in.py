"""Staff sign in with a password and a TOTP code, through the real login form; guessing locks them out."""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Group
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.models import AuditEvent
from apps.staff.services import enrolment_code_issue
from tests.staff.helpers import current_code

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"
LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture
def recruiter(django_user_model):
    user = django_user_model.objects.create_user("amina", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="recruiter"))
    return user


@pytest.fixture
def enrolled(recruiter) -> TOTPDevice:
    return TOTPDevice.objects.create(user=recruiter, name="authenticator app", confirmed=True)


def _sign_in(client, username="amina", password=PASSWORD, code="", ip="198.51.100.1"):
    return client.post(LOGIN, {"username": username, "password": password, "otp_token": code},
                       REMOTE_ADDR=ip)


def test_the_password_and_the_current_code_sign_in(client, enrolled):
    response = _sign_in(client, code=current_code(enrolled))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    page = client.get("/admin/")
    assert page.status_code == 200 and ">People<" in page.content.decode()
    assert client.session.get_expiry_age() == 8 * 3600


def test_the_password_alone_does_not_sign_in_a_staff_member_with_an_authenticator(client, enrolled):
    response = _sign_in(client)
    assert response.status_code == 200 and "The username, password or code is wrong" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def _error(response) -> str:
    return re.search(r'<p class="errornote">\s*(.*?)\s*</p>', response.content.decode(), re.S)[1]


def test_a_wrong_password_and_a_wrong_or_missing_code_get_the_same_answer(client, enrolled, recruiter):
    wrong = f"{(int(current_code(enrolled)) + 1) % 1000000:06d}"
    answers = {_error(_sign_in(client, password="wrong password!", code=current_code(enrolled))),
               _error(_sign_in(client, code=wrong)),
               _error(_sign_in(client)),  # the right password alone
               _error(_sign_in(client, username="nobody-here"))}
    assert len(answers) == 1, answers


def test_a_wrong_code_does_not_sign_in(client, enrolled):
    wrong = f"{(int(current_code(enrolled)) + 1) % 1000000:06d}"
    assert _sign_in(client, code=wrong).status_code == 200
    assert client.get("/admin/subjects/datasubject/").status_code == 302


def test_a_backup_code_signs_in_once(client, enrolled, recruiter):
    from django_otp.plugins.otp_static.models import StaticDevice

    device = StaticDevice.objects.create(user=recruiter, name="backup codes", confirmed=True)
    StaticToken.objects.create(device=device, token="abcd2345")
    assert _sign_in(client, code="abcd2345").status_code == 302
    client.logout()
    assert _sign_in(client, code="abcd2345").status_code == 200


def test_without_a_second_factor_staff_reach_no_admin_page_but_enrolment(client, recruiter):
    assert _sign_in(client).status_code == 302
    for url in ["/admin/", "/admin/subjects/datasubject/", "/admin/audit/auditevent/", "/admin/dashboard/",
                "/admin/records-of-processing/"]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/admin/two-factor/", url
    # The password alone does not reach the authenticator's secret: the enrolment code comes first.
    assert "Enrolment code" in client.get("/admin/two-factor/").content.decode()
    assert not TOTPDevice.objects.filter(user=recruiter).exists()
    client.post("/admin/two-factor/", {"code": enrolment_code_issue(user=recruiter, issued_by=None)})
    enrolment = client.get("/admin/two-factor/").content.decode()
    assert "<svg" in enrolment and "<script>" not in enrolment  # drawn server-side: the strict CSP holds


def _enrol_with_code(client, user) -> None:
    _sign_in(client)
    response = client.post("/admin/two-factor/", {"code": enrolment_code_issue(user=user, issued_by=None)})
    assert response.status_code == 302 and response["Location"] == "/admin/two-factor/"


def test_enrolling_confirms_the_app_shows_backup_codes_once_and_is_audited(client, recruiter):
    _enrol_with_code(client, recruiter)
    page = client.get("/admin/two-factor/").content.decode()
    secret = re.search(r'id="totp-secret">([A-Z2-7=]+)<', page).group(1)
    device = TOTPDevice.objects.get(user=recruiter, confirmed=False)
    import base64

    assert base64.b32decode(secret) == device.bin_key
    assert client.post("/admin/two-factor/", {"code": current_code(device)})["Location"] == "/admin/two-factor/"
    page = client.get("/admin/two-factor/").content.decode()
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", page)
    assert len(codes) == 10 and 'class="nav-sidebar"' not in page and "I have saved my backup codes" in page
    download = client.get("/admin/two-factor/backup-codes.txt")
    assert download["Content-Disposition"].startswith("attachment") and all(c in download.content.decode()
                                                                           for c in codes)
    assert client.get("/admin/")["Location"] == "/admin/two-factor/"  # the codes first
    again = client.post("/admin/two-factor/", {})  # not ticked: the codes again, with what to do
    assert "Tick the box" in again.content.decode() and codes[0] in again.content.decode()
    assert client.post("/admin/two-factor/", {"saved": "yes"})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/two-factor/backup-codes.txt").status_code == 403  # shown until saved, not after
    assert AuditEvent.objects.get(verb="staff.two_factor_enrolled").actor_id == str(recruiter.pk)
    client.logout()
    assert _sign_in(client, code=codes[0]).status_code == 302  # a backup code works


def test_a_wrong_code_at_enrolment_leaves_the_app_unconfirmed(client, recruiter):
    _enrol_with_code(client, recruiter)
    client.get("/admin/two-factor/")
    device = TOTPDevice.objects.get(user=recruiter)
    wrong = f"{(totp(device.bin_key) + 1) % 1000000:06d}"
    response = client.post("/admin/two-factor/", {"code": wrong})
    assert "The code is wrong" in response.content.decode()
    assert client.get("/admin/").status_code == 302 and not TOTPDevice.objects.filter(confirmed=True).exists()


def test_repeated_wrong_passwords_lock_the_account_even_the_right_one_then_fails(client, enrolled, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, password="wrong password!").status_code == 200
    assert _sign_in(client, password="wrong password!").status_code == 429
    locked = _sign_in(client, code=current_code(enrolled))
    assert locked.status_code == 429 and "Sign-in locked" in locked.content.decode()
    assert client.get("/admin/").status_code == 302


def test_failures_for_a_username_from_other_addresses_never_lock_its_owner_out(client, enrolled, settings):
    """Anyone can type a staff member's username: from their own addresses they lock only themselves (and slow
    the username down for a few seconds: the owner signs in once the short wait after the last failure is over)."""
    import time_machine
    from django.utils import timezone

    for i in range(settings.AXES_FAILURE_LIMIT * 3):
        _sign_in(client, password="wrong password!", ip=f"203.0.113.{i + 1}")
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=settings.STAFF_USERNAME_DELAY_SECONDS + 1)):
        enrolled.refresh_from_db()
        assert _sign_in(client, code=current_code(enrolled), ip="192.0.2.200").status_code == 302


def test_one_address_trying_many_accounts_is_locked_out(client, enrolled, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, username=f"guess{i}", password="wrong password!", ip="203.0.113.9")
    assert _sign_in(client, code=current_code(enrolled), ip="203.0.113.9").status_code == 429
    client.logout()
    assert _sign_in(client, code=current_code(enrolled), ip="192.0.2.7").status_code == 302


def test_a_lock_out_is_audited_once_per_lock_without_the_name_typed_or_the_address(client, enrolled, settings,
                                                                                    recruiter):
    for _ in range(settings.AXES_FAILURE_LIMIT + 4):  # the limit, then four more tries while locked
        _sign_in(client, password="wrong password!", ip="203.0.113.50")
    (locked,) = AuditEvent.objects.filter(verb="staff.sign_in_locked")
    assert locked.target == str(recruiter.pk)
    assert locked.detail == {"failures": settings.AXES_FAILURE_LIMIT, "account": "known", "minutes": 30}
    for _ in range(settings.AXES_FAILURE_LIMIT):  # another address guessing names that are nobody's: its own lock
        _sign_in(client, username="s3cret-typed-as-name", password="wrong password!", ip="203.0.113.51")
    events = AuditEvent.objects.filter(verb="staff.sign_in_locked").order_by("at", "seq")
    assert events.count() == 2
    assert (events.last().target, events.last().detail["account"]) == ("", "unknown")
    recorded = str(list(events.values("target", "detail", "actor_id")))
    assert "s3cret" not in recorded and "203.0.113" not in recorded and "amina" not in recorded


def test_guessing_codes_locks_the_account_too(client, enrolled, settings):
    wrong = f"{(int(current_code(enrolled)) + 7) % 1000000:06d}"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, code=wrong)
    assert _sign_in(client, code=current_code(enrolled)).status_code == 429


def test_the_lock_lifts_after_the_cool_off(client, enrolled, settings):
    import time_machine
    from django.utils import timezone

    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, password="wrong password!")
    with time_machine.travel(timezone.now() + settings.AXES_COOLOFF_TIME + timezone.timedelta(minutes=1)):
        enrolled.refresh_from_db()
        assert _sign_in(client, code=current_code(enrolled)).status_code == 302


def test_a_staff_member_who_has_not_set_up_the_app_can_still_sign_out(client, recruiter):
    _sign_in(client)
    assert "Sign out" in client.get("/admin/two-factor/").content.decode()
    client.post("/admin/logout/")
    response = client.get("/admin/two-factor/")
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_a_failed_sign_in_keeps_no_code_in_clear(client, enrolled, recruiter):
    """A backup code typed with a mistyped password stays valid: the lock-out record must not hold it."""
    device = StaticDevice.objects.create(user=recruiter, name="backup codes", confirmed=True)
    StaticToken.objects.create(device=device, token="abcd2345")
    _sign_in(client, password="typo", code="abcd2345")
    code = enrolment_code_issue(user=recruiter, issued_by=None)
    _sign_in(client)
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    client.post("/admin/two-factor/", {"code": typo}, REMOTE_ADDR="198.51.100.1")
    stored = " ".join(AccessAttempt.objects.values_list("post_data", flat=True))
    assert stored and "abcd2345" not in stored and typo not in stored


def test_many_failures_for_a_username_slow_it_down_but_never_lock_its_owner_out(client, enrolled, settings):
    """From many addresses (none locked by axes), a username's failures past the limit make each try wait a
    few seconds after the last failure, the same answer whatever the password; then the owner signs in."""
    import time_machine
    from django.utils import timezone

    settings.STAFF_USERNAME_FAILURE_LIMIT, settings.STAFF_USERNAME_DELAY_SECONDS = 6, 15
    for i in range(6):
        assert _sign_in(client, password="wrong password!", ip=f"203.0.113.{i + 1}").status_code == 200
    waiting = {_error(_sign_in(client, code=current_code(enrolled), ip="192.0.2.200")),
               _error(_sign_in(client, password="wrong password!", ip="192.0.2.201"))}
    assert len(waiting) == 1 and "Wait 15 seconds" in waiting.pop()
    assert client.get("/admin/").status_code == 302
    assert _sign_in(client, code=current_code(enrolled), ip="192.0.2.9", username="other").status_code == 200
    with time_machine.travel(timezone.now() + timezone.timedelta(seconds=16)):
        enrolled.refresh_from_db()
        assert _sign_in(client, code=current_code(enrolled), ip="192.0.2.200").status_code == 302
