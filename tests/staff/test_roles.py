"""Each role can do exactly its work in the admin, and no more (need to know)."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command

from apps.audit.models import AuditEvent
from apps.staff.roles import ROLES
from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(django_user_model, staff_client):
    def make(role: str):
        user = django_user_model.objects.create_user(role.replace(" ", "-"), password="x" * 16, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return staff_client(user)
    return make


def test_each_role_holds_exactly_the_permissions_it_names():
    for name, wanted in ROLES.items():
        held = {f"{p.content_type.app_label}.{p.codename}"
                for p in Group.objects.get(name=name).permissions.select_related("content_type")}
        assert held == set(wanted), name


def test_support_sees_people_masked_and_nothing_of_the_privacy_officer(member):
    client = member("support")
    subject = SubjectFactory(full_name="Baraka Otieno")
    assert client.get("/admin/subjects/datasubject/").status_code == 200
    page = client.get(f"/admin/subjects/datasubject/{subject.pk}/change/").content.decode()
    assert "Baraka" not in page and "Reveal" not in page
    for url in ["/admin/audit/auditevent/", "/admin/dashboard/", "/admin/staff/rightsrequest/",
                "/admin/subjects/identitydocument/", "/admin/subjects/serviceengagement/add/"]:
        assert client.get(url).status_code == 403, url


def test_a_recruiter_works_services_and_reveals_but_sees_no_audit_log_or_registers(member):
    client = member("recruiter")
    subject = SubjectFactory(full_name="Baraka Otieno")
    assert client.get("/admin/subjects/serviceengagement/add/").status_code == 200
    assert "Baraka Otieno" in client.post(f"/admin/subjects/datasubject/{subject.pk}/reveal/",
                                          {"reason": "application"}).content.decode()
    for url in ["/admin/audit/auditevent/", "/admin/dashboard/", "/admin/staff/breach/", "/admin/auth/user/"]:
        assert client.get(url).status_code == 403, url


def test_the_privacy_officer_oversees_but_does_not_manage_accounts(member):
    client = member("privacy officer")
    for url in ["/admin/audit/auditevent/", "/admin/dashboard/", "/admin/staff/rightsrequest/add/",
                "/admin/staff/breach/add/", "/admin/vault/deletioncertificate/", "/admin/records-of-processing/"]:
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/auth/user/").status_code == 403


def test_the_roles_command_restores_a_role_and_is_audited():
    Group.objects.get(name="support").permissions.clear()
    call_command("staff_roles")
    assert Group.objects.get(name="support").permissions.count() == len(ROLES["support"])
    assert AuditEvent.objects.filter(verb="staff.roles_synced").count() == 1


def test_a_superuser_sees_whose_authenticator_it_is_but_never_its_secret(admin_client, admin_user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=admin_user)
    page = admin_client.get(f"/admin/otp_totp/totpdevice/{device.pk}/change/").content.decode()
    assert admin_user.username in page and device.key not in page


def test_a_role_naming_a_permission_that_does_not_exist_fails_loudly(monkeypatch):
    from django.contrib.auth.models import Permission

    from apps.staff import roles

    monkeypatch.setitem(roles.ROLES, "support", [*roles.ROLES["support"], "subjects.fly_to_the_moon"])
    with pytest.raises(LookupError, match="fly_to_the_moon"):
        roles.groups_apply(group_model=Group, permission_model=Permission)
