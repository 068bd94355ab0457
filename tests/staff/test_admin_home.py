"""The admin's home is grouped by the work of the day: a recruiter sees people, enquiries and vacancies; the
privacy officer also the registers, policies and evidence; technical sections only a superuser sees. Plain
names (People, not data subjects), in English and Swahili; the people list reads on one line per person."""

import re

import pytest
from django.contrib.auth.models import Group

from tests.factories import SubjectFactory

pytestmark = pytest.mark.django_db


def _staff(django_user_model, role: str):
    user = django_user_model.objects.create_user(role.replace(" ", "-"), password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def _groups(page: str) -> dict[str, list[str]]:
    """Each group's caption and the screens listed under it, in order."""
    found = {}
    for caption, body in re.findall(r'<caption>\s*<a[^>]*>([^<]+)</a>\s*</caption>(.*?)</table>', page, re.S):
        found[caption.strip()] = [name.strip() for name in re.findall(r'<th scope="row"[^>]*>\s*<a[^>]*>([^<]+)</a>',
                                                                        body)]
    return found


def test_a_recruiter_sees_their_day_first_in_plain_words(staff_client, django_user_model):
    page = staff_client(_staff(django_user_model, "recruiter")).get("/admin/").content.decode()
    groups = _groups(page)
    assert list(groups) == ["People, enquiries and vacancies"]
    assert groups["People, enquiries and vacancies"][:4] == ["People", "Enquiries", "Service engagements",
                                                             "Vacancies"]
    assert "Data subjects" not in page and "Technical" not in page


def test_the_privacy_officer_sees_the_registers_and_policies_but_nothing_technical(staff_client, django_user_model):
    groups = _groups(staff_client(_staff(django_user_model, "privacy officer")).get("/admin/").content.decode())
    assert list(groups) == ["People, enquiries and vacancies", "Privacy: requests, breaches, policies",
                            "Evidence: who saw and erased what"]
    assert groups["Privacy: requests, breaches, policies"][:2] == ["Rights requests", "Breaches"]


def test_technical_sections_are_for_superusers_only(admin_client):
    groups = _groups(admin_client.get("/admin/").content.decode())
    assert list(groups)[-1] == "Technical (superusers only)"
    assert "Access attempts" in groups["Technical (superusers only)"]


def test_the_home_reads_in_swahili(staff_client, django_user_model):
    client = staff_client(_staff(django_user_model, "recruiter"))
    page = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="sw").content.decode()
    if 'lang="sw"' not in page:
        client.cookies["django_language"] = "sw"
        page = client.get("/admin/").content.decode()
    assert "Watu, maswali na nafasi za kazi" in page and ">Watu<" in page


def test_the_people_list_shows_a_short_id_and_words(staff_client, django_user_model):
    subject = SubjectFactory(full_name="Halima Abdi")
    page = staff_client(_staff(django_user_model, "recruiter")).get("/admin/subjects/datasubject/").content.decode()
    assert f">{str(subject.pk)[:8]}</a>" in page and str(subject.pk) not in re.sub(r'href="[^"]*"|value="[^"]*"', "",
                                                                                   page)
    assert "Normal" in page and "icon-no.svg" not in page
