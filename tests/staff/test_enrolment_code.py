"""A staff account that never set up a second factor cannot set one up with the password alone: the first
enrolment needs a one-time code issued by a superuser or the privacy officer (docs/staff-two-factor.md)."""

import re
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from apps.audit.models import AuditEvent
from apps.staff.models import EnrolmentToken
from apps.staff.services import enrolment_code_issue
from tests.staff.helpers import current_code

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery staple"


@pytest.fixture
def newcomer(django_user_model):
    user = django_user_model.objects.create_user("baraka", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="recruiter"))
    return user


def _password_only(client, username="baraka"):
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": PASSWORD, "otp_token": ""})


def test_an_attacker_with_the_password_alone_cannot_set_up_a_second_factor(client, newcomer):
    assert _password_only(client).status_code == 302
    page = client.get("/admin/two-factor/").content.decode()
    assert "Enrolment code" in page and "totp-secret" not in page
    # Posting what would be an authenticator code does nothing but count as a failed attempt.
    response = client.post("/admin/two-factor/", {"code": "123456"})
    assert "wrong, used or expired" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=newcomer).exists()
    assert client.get("/admin/").status_code == 302


def test_a_code_sets_up_the_app_once(client, newcomer):
    code = enrolment_code_issue(user=newcomer, issued_by=None)
    _password_only(client)
    assert client.post("/admin/two-factor/", {"code": code.lower()}).status_code == 302  # case does not matter
    page = client.get("/admin/two-factor/").content.decode()
    assert "totp-secret" in page
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    assert client.post("/admin/two-factor/", {"code": current_code(device)})["Location"] == "/admin/two-factor/"
    assert "backup codes" in client.get("/admin/two-factor/").content.decode().lower()
    # The code is spent: after the device is lost and deleted, the same code does not open enrolment again.
    TOTPDevice.objects.filter(user=newcomer).delete()
    newcomer.staticdevice_set.all().delete()
    client.logout()
    _password_only(client)
    assert "wrong, used or expired" in client.post("/admin/two-factor/", {"code": code}).content.decode()


def test_an_expired_code_or_someone_elses_does_not_work(client, newcomer, django_user_model, settings):
    other = django_user_model.objects.create_user("other", password=PASSWORD, is_staff=True)
    settings.STAFF_ENROLMENT_HOURS = 1
    theirs = enrolment_code_issue(user=other, issued_by=None)
    mine = enrolment_code_issue(user=newcomer, issued_by=None)
    _password_only(client)
    assert "wrong, used or expired" in client.post("/admin/two-factor/", {"code": theirs}).content.decode()
    later = timezone.now() + timezone.timedelta(hours=1, minutes=1)
    with time_machine.travel(later):
        assert "wrong, used or expired" in client.post("/admin/two-factor/", {"code": mine}).content.decode()


def test_a_new_code_cancels_the_earlier_one(client, newcomer):
    first = enrolment_code_issue(user=newcomer, issued_by=None)
    enrolment_code_issue(user=newcomer, issued_by=None)
    _password_only(client)
    assert "wrong, used or expired" in client.post("/admin/two-factor/", {"code": first}).content.decode()


def test_guessing_enrolment_codes_locks_the_account(client, newcomer, settings):
    _password_only(client)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/two-factor/", {"code": "AAAA-BBBB-CCCC-DDDD"})
    client.logout()
    assert _password_only(client).status_code == 429


def test_the_officer_issues_a_code_shown_once_and_only_its_hash_is_kept(newcomer, django_user_model, staff_client):
    officer = django_user_model.objects.create_user("officer", password=PASSWORD, is_staff=True)
    officer.groups.add(Group.objects.get(name="privacy officer"))
    client = staff_client(officer)
    page = client.get("/admin/enrolment-codes/").content.decode()
    assert ">baraka</option>" in page and ">officer</option>" not in page  # only accounts without a second factor
    shown = client.post("/admin/enrolment-codes/", {"user": newcomer.pk}).content.decode()
    code = re.search(r'id="enrolment-code">([A-F0-9-]+)<', shown).group(1)
    token = EnrolmentToken.objects.get(user=newcomer)
    assert code not in token.digest and token.issued_by == officer
    event = AuditEvent.objects.get(verb="staff.enrolment_issued")
    assert event.actor_id == str(officer.pk) and code not in str(event.detail)
    assert code not in client.get("/admin/enrolment-codes/").content.decode()


def test_support_and_recruiters_cannot_issue_codes(newcomer, django_user_model, staff_client):
    for role in ("support", "recruiter"):
        user = django_user_model.objects.create_user(role, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        assert staff_client(user).post("/admin/enrolment-codes/", {"user": newcomer.pk}).status_code == 403
    assert not EnrolmentToken.objects.exists()


def test_the_first_superuser_gets_a_code_from_the_command_line(client, newcomer):
    out = StringIO()
    call_command("staff_enrolment_code", "baraka", stdout=out)
    _password_only(client)
    assert client.post("/admin/two-factor/", {"code": out.getvalue().strip()}).status_code == 302
    assert "totp-secret" in client.get("/admin/two-factor/").content.decode()
