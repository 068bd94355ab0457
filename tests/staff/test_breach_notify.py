"""Telling the people affected by a breach: from the people list, one email each in their language, exactly
once per breach however often the officer presses; the register records who was told and when."""

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.notifications.services import notification_queue
from apps.staff.models import Breach, BreachNotice
from apps.staff.services import breach_people_notify, breach_record, subject_restrict
from apps.subjects import services
from apps.vault.services import datakey_destroy
from tests.factories import ControllerFactory, EngagementFactory, SubjectFactory

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


@pytest.fixture
def officer(django_user_model, staff_client):
    user = django_user_model.objects.create_user("officer", password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name="privacy officer"))
    return user, staff_client(user)


@pytest.fixture
def breach() -> Breach:
    return breach_record(actor=SYSTEM, summary="A laptop holding a spreadsheet of applicants was stolen.",
                         discovered_at=timezone.now(), categories=["identity", "contact"], people_affected=2,
                         risk=Breach.Risk.HIGH, containment="The laptop's disk was encrypted; passwords were changed.")


def _action(client, people, breach=None, **extra):
    data = {"action": "notify_breach", "_selected_action": [str(p.pk) for p in people], **extra}
    if breach is not None:
        data.update(confirm="yes", breach=str(breach.pk))
    return client.post("/admin/subjects/datasubject/", data, follow=True)


def test_the_officer_tells_the_chosen_people_once_each_in_their_language(
        officer, breach, mailoutbox, django_capture_on_commit_callbacks):
    user, client = officer
    asha, juma, bystander = SubjectFactory(email="asha@example.org"), SubjectFactory(email="juma@example.org"), \
        SubjectFactory()
    notification_queue(subject=juma, channel="email", template="new_link", recipient="juma@example.org",
                       context={"link": "x"}, language="sw")
    mailoutbox.clear()
    confirm = _action(client, [asha, juma]).content.decode()
    assert "2 people are chosen" in confirm and "Send the breach notice" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        done = _action(client, [asha, juma], breach).content.decode()
        again = _action(client, [asha, juma, bystander], breach).content.decode()
    assert "2 person(s) told of the breach" in done and "1 person(s) told of the breach" in again
    by_address = {m.to[0]: m for m in mailoutbox}
    assert sorted(by_address) == sorted(["asha@example.org", "juma@example.org", bystander.record.email])
    assert "A laptop holding a spreadsheet" in by_address["asha@example.org"].body
    assert "passwords were changed" in by_address["asha@example.org"].body
    assert "Email address and mobile number" in by_address["asha@example.org"].body
    assert "ukiukaji" in by_address["juma@example.org"].subject.lower()  # Swahili: "uvunjaji/ukiukaji wa data"
    notices = BreachNotice.objects.filter(breach=breach)
    assert {n.subject_id for n in notices} == {asha.pk, juma.pk, bystander.pk}
    events = AuditEvent.objects.filter(verb="breach.person_notified")
    assert events.count() == 3 and all(e.actor_id == str(user.pk) for e in events)
    assert "laptop" not in str([e.detail for e in events])
    breach.refresh_from_db()
    assert breach.people_notified_at is not None
    register = client.get("/admin/staff/breach/").content.decode()
    assert f'?breach__id__exact={breach.pk}">3</a>' in register


def test_everyone_matching_the_filters_can_be_told_at_once(officer, breach, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    _user, client = officer
    hacked = ControllerFactory(name="Hacked Ltd")
    theirs = [EngagementFactory(controller=hacked).subject for _ in range(3)]
    EngagementFactory(controller=ControllerFactory())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/admin/subjects/datasubject/?engagements__controller__id__exact={hacked.pk}", {
            "action": "notify_breach", "_selected_action": [str(theirs[0].pk)], "select_across": "1",
            "confirm": "yes", "breach": str(breach.pk)}, follow=True)
    assert set(BreachNotice.objects.values_list("subject_id", flat=True)) == {p.pk for p in theirs}
    assert len(mailoutbox) == 3


def test_a_restricted_person_is_still_told_and_an_erased_one_is_skipped(officer, breach, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    user, _client = officer
    restricted, erased = SubjectFactory(), SubjectFactory()
    subject_restrict(subject=restricted, staff_user=user, ground="legal-claim")
    services.subject_erase(subject=erased, reason="subject-request")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        told = breach_people_notify(breach=breach, subject_ids=[restricted.pk, erased.pk], staff_user=user)
    assert told == 1 and [m.to[0] for m in mailoutbox] == [restricted.record.email]


def test_someone_met_mid_erasure_is_skipped_and_the_others_are_told(officer, breach, mailoutbox,
                                                                     django_capture_on_commit_callbacks):
    """The key goes before the rows: a person in that moment has nobody left to tell, and is no error."""
    user, _client = officer
    told_one, going = SubjectFactory(), SubjectFactory()
    datakey_destroy(subject_id=going.pk)
    with django_capture_on_commit_callbacks(execute=True):
        told = breach_people_notify(breach=breach, subject_ids=[told_one.pk, going.pk], staff_user=user)
    assert told == 1 and len(mailoutbox) == 1


def test_the_register_entry_outlives_the_persons_erasure_and_is_in_their_export(officer, breach):
    user, _client = officer
    person = SubjectFactory()
    breach_people_notify(breach=breach, subject_ids=[person.pk], staff_user=user)
    exported = services.subject_export(subject=person, actor=SYSTEM)
    rows = next(s["rows"] for s in exported["data"].values() if "breach" in s["categories"])
    assert rows[0]["what_happened"].startswith("A laptop")
    services.subject_erase(subject=person, reason="subject-request")
    assert BreachNotice.objects.filter(subject=person, breach=breach).exists()


def test_recruiters_cannot_tell_people_about_a_breach(breach, django_user_model, staff_client):
    user = django_user_model.objects.create_user("rec", password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name="recruiter"))
    client = staff_client(user)
    person = SubjectFactory()
    assert "notify_breach" not in client.get("/admin/subjects/datasubject/").content.decode()
    _action(client, [person], breach)
    assert not BreachNotice.objects.exists()
