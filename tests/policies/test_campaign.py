"""A version that changes disclosures tells every affected person once, with a one-click choice."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone, translation

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.notifications import backends
from apps.notifications import services as notification_services
from apps.notifications.models import Notification
from apps.notifications.rendering import BatchRenderer, render_message
from apps.policies import services as policy_services
from apps.policies.links import choice_url
from apps.policies.models import Campaign, CampaignBatch, CampaignRecipient, DisclosureChoice, PolicyVersion
from apps.policies.selectors import campaign_call_list, campaign_progress
from apps.policies.services import (
    campaign_batch_write,
    campaign_call_record,
    campaign_fan_out,
    campaign_retry_failed,
    campaigns_redrive,
    disclosure_record,
)
from apps.subjects.links import link_token
from apps.subjects.models import ServiceEngagement
from apps.vault.services import key_scope
from tests.factories import EngagementFactory, SubjectFactory
from tests.notifications.fakes import FlakyEmailBackend
from tests.policies.helpers import BACKGROUND, HIRING, TALENT_POOL, draft, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def sms_outbox(settings):
    settings.SMS_BACKEND = "apps.notifications.backends.LocmemSmsBackend"
    backends.outbox.clear()
    yield backends.outbox
    backends.outbox.clear()


def _people(n: int, **kwargs) -> list:
    return [EngagementFactory(subject=SubjectFactory(**kwargs)).subject for _ in range(n)]


def _choice_links(text: str) -> list[str]:
    return re.findall(r"http://[^\s\"]+/privacy/choice/[^\s\"/]+/", text)


def test_a_new_disclosure_tells_everyone_with_an_open_service_once_by_email_and_sms(
        demo_purposes, django_capture_on_commit_callbacks, sms_outbox, settings, monkeypatch):
    monkeypatch.setattr("apps.policies.services.CAMPAIGN_BATCH", 3)  # several batches
    people = _people(7)
    without_mobile = _people(1, mobile=None)[0]
    closed = EngagementFactory().subject
    ServiceEngagement.objects.filter(subject=closed).update(status=ServiceEngagement.Status.COMPLETED)

    with django_capture_on_commit_callbacks(execute=True):
        published = publish(summary="We now check certificates.", disclosures=[HIRING, BACKGROUND])

    campaign = published.campaign
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FANNED_OUT and campaign.people == 8
    told = set(CampaignRecipient.objects.values_list("subject_id", flat=True))
    assert told == {p.pk for p in people} | {without_mobile.pk}
    assert sorted(m.to[0] for m in mail.outbox) == sorted({m.to[0] for m in mail.outbox})  # one email each
    assert len(mail.outbox) == 8 and len(sms_outbox) == 7
    message = mail.outbox[0]
    assert "We now check certificates." in message.body and "Uhakiki Vetting Ltd" in message.body
    assert "/privacy/changes/1/2/" in message.body and "/me/" in message.body
    assert len(_choice_links(message.body)) == 1  # the new disclosure only, not the unchanged one
    assert "/privacy/choice/" in sms_outbox[0].text

    with django_capture_on_commit_callbacks(execute=True):
        campaign_fan_out(campaign_id=campaign.pk)  # a redelivered task
        campaigns_redrive()
    assert len(mail.outbox) == 8 and Notification.objects.filter(template="policy_changed").count() == 15
    assert campaign_progress(campaign) | {"percent": 100} == {"pending": 0, "sent": 15, "failed": 0,
                                                              "messages": 15, "people": 8, "to_call": 0,
                                                              "percent": 100}


def test_the_people_are_split_into_slices_each_written_whole_and_a_failed_one_again_on_its_own(
        demo_purposes, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.setattr("apps.policies.services.CAMPAIGN_BATCH", 4)
    people = _people(12)
    real = policy_services.notifications_queue
    calls = {"n": 0}

    def dies_once(**kwargs):  # the worker writing the second slice dies after writing its messages
        calls["n"] += 1
        queued = real(**kwargs)
        if calls["n"] == 2:
            raise RuntimeError("worker died")
        return queued

    monkeypatch.setattr("apps.policies.services.notifications_queue", dies_once)
    with django_capture_on_commit_callbacks(execute=True):
        campaign = publish(disclosures=[HIRING, BACKGROUND]).campaign
    campaign.refresh_from_db()
    assert campaign.batches == 3 and campaign.batches_done == 2 and campaign.status == Campaign.Status.FANNING_OUT
    assert CampaignBatch.objects.filter(done_at__isnull=True).count() == 1
    written = set(CampaignRecipient.objects.values_list("subject_id", flat=True))

    with django_capture_on_commit_callbacks(execute=True):  # beat, once the cut-off has passed
        assert campaigns_redrive(older_than=timedelta(0)) == 1
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FANNED_OUT and campaign.people == 12
    assert written < set(CampaignRecipient.objects.values_list("subject_id", flat=True)) == {p.pk for p in people}
    assert Notification.objects.filter(template="policy_changed", channel="email").count() == 12
    assert sorted(m.to[0] for m in mail.outbox) == sorted({m.to[0] for m in mail.outbox}) and len(mail.outbox) == 12
    # One event per slice (with its counts), none per message queued; each send is audited.
    slices = AuditEvent.objects.filter(verb="campaign.batch_queued", detail__batch__isnull=False)
    assert slices.count() == 3 and sum(e.detail["email"] for e in slices) == 12
    assert not AuditEvent.objects.filter(verb="notification.queued").exists()
    assert AuditEvent.objects.filter(verb="notification.sent").count() == 24


def test_a_slice_is_written_in_the_same_number_of_statements_whatever_its_size(
        demo_purposes, django_assert_max_num_queries):
    _people(2)
    campaign = publish(disclosures=[HIRING, BACKGROUND]).campaign  # its jobs are not run (nothing after commit)
    campaign_fan_out(campaign_id=campaign.pk, batch_size=1000)  # one slice
    batch = CampaignBatch.objects.get(campaign=campaign)
    counts = []
    for more in (0, 10):
        _people(more)
        CampaignRecipient.objects.all().delete()  # the slice written again, with more people in it
        Notification.objects.filter(template="policy_changed").delete()
        CampaignBatch.objects.filter(pk=batch.pk).update(done_at=None)
        Campaign.objects.filter(pk=campaign.pk).update(batches_done=0, status=Campaign.Status.FANNING_OUT)
        with key_scope(), django_assert_max_num_queries(25) as captured:  # the job runs in a key scope
            written = campaign_batch_write(batch_id=batch.pk)
        assert written == CampaignRecipient.objects.count() == 2 + more
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_a_batch_renders_each_text_once_and_every_message_reads_as_rendered_alone(
        demo_purposes, django_capture_on_commit_callbacks, monkeypatch):
    swahili = _people(2)
    for person in swahili:
        Notification.objects.create(subject=person, channel="email", template="confirmation", language="sw",
                                    recipient="amani@example.org", status="sent", sent_at=timezone.now())
    _people(2)
    published = publish(disclosures=[HIRING, BACKGROUND, TALENT_POOL])
    with django_capture_on_commit_callbacks(execute=True):
        campaign_fan_out(campaign_id=published.campaign.pk)
    rendered = []
    real = render_message
    monkeypatch.setattr("apps.notifications.rendering.render_message",
                        lambda *args: rendered.append(args) or real(*args))
    renderer = BatchRenderer()
    rows = Notification.objects.filter(template="policy_changed")
    for row in rows:
        with translation.override(row.language):
            alone = real(row.template, row.context, row.channel)
            assert renderer.render(row.template, row.context, row.channel) == alone
            if row.channel == "email":
                assert row.context["link"] in alone[1] and row.context["link"] in alone[2]
    assert len(rows) == 8 and len(rendered) == 4  # email and SMS, in English and in Swahili
    odd = {**rows[0].context, "link": "http://127.0.0.1:8000/me/?a=1&b=<2>"}  # escaped in HTML as autoescape does
    with translation.override(rows[0].language):
        assert renderer.render("policy_changed", odd, "email") == real("policy_changed", odd, "email")


def test_a_version_with_the_same_disclosures_tells_nobody(demo_purposes, django_capture_on_commit_callbacks):
    _people(2)
    with django_capture_on_commit_callbacks(execute=True):
        published = publish(summary="Clearer words.", disclosures=[HIRING])
    assert published.campaign is None and mail.outbox == []


def test_a_batch_that_fails_half_way_is_written_again_whole(demo_purposes, django_capture_on_commit_callbacks,
                                                            monkeypatch):
    people = _people(3)
    calls = {"n": 0}
    real = policy_services.notifications_queue

    def flaky(**kwargs):  # the first time, the batch's messages are written and the worker dies after them
        calls["n"] += 1
        queued = real(**kwargs)
        if calls["n"] == 1:
            raise RuntimeError("worker died")
        return queued

    monkeypatch.setattr("apps.policies.services.notifications_queue", flaky)
    # The publish commits; the fan-out job fails after it and is left for the sweep (never a failed request).
    with django_capture_on_commit_callbacks(execute=True):
        publish(disclosures=[HIRING, BACKGROUND])
    assert calls["n"] == 1
    campaign = Campaign.objects.get()
    assert CampaignRecipient.objects.count() == 0
    assert Notification.objects.filter(template="policy_changed").count() == 0
    with django_capture_on_commit_callbacks(execute=True):
        campaign_fan_out(campaign_id=campaign.pk)
    assert CampaignRecipient.objects.count() == 3
    assert Notification.objects.filter(template="policy_changed", channel="email").count() == len(people)


def test_people_no_message_reached_are_on_the_call_list_and_the_call_is_recorded(
        demo_purposes, django_capture_on_commit_callbacks, sms_outbox, settings, admin_user):
    person = _people(1)[0]
    settings.EMAIL_BACKEND = "tests.notifications.fakes.FlakyEmailBackend"
    FlakyEmailBackend.failures = []
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    settings.SMS_BACKEND = "tests.policies.test_campaign.RejectingSms"
    FlakyEmailBackend.failures += [ConnectionError("down")]
    with django_capture_on_commit_callbacks(execute=True):
        published = publish(disclosures=[HIRING, BACKGROUND])
    recipient = CampaignRecipient.objects.get(subject=person)
    assert list(campaign_call_list(published.campaign)) == [recipient]
    assert campaign_progress(published.campaign)["failed"] == 2

    campaign_call_record(recipient=recipient, outcome="opted-out", actor=Actor.staff(admin_user))
    choice = DisclosureChoice.objects.get(subject=person)
    assert (choice.disclosure_key, choice.choice, choice.source) == ("background-check", "opted-out", "phone-call")
    assert campaign_progress(published.campaign)["to_call"] == 0

    settings.SMS_BACKEND = "apps.notifications.backends.LocmemSmsBackend"
    with django_capture_on_commit_callbacks(execute=True):
        assert campaign_retry_failed(campaign=published.campaign, actor=Actor.staff(admin_user)) == 2
    assert campaign_progress(published.campaign)["sent"] == 2 and len(mail.outbox) == 1


class RejectingSms(backends.BaseSmsBackend):
    def send(self, message: backends.SmsMessage) -> str:
        raise backends.SmsRejected()


def test_the_admin_shows_a_campaigns_progress_and_the_call_list(demo_purposes, django_capture_on_commit_callbacks,
                                                                admin_client, sms_outbox):
    _people(2)
    with django_capture_on_commit_callbacks(execute=True):
        published = publish(disclosures=[HIRING, BACKGROUND])
    page = admin_client.get(f"/admin/policies/campaign/{published.campaign.pk}/change/").content.decode()
    assert '<progress max="100" value="100">' in page and "4 sent, 0 pending, 0 failed, 0 to call" in page
    assert admin_client.get("/admin/policies/campaignrecipient/").status_code == 200


def test_the_publish_preview_shows_the_difference_the_message_and_who_is_told(demo_purposes, admin_client):
    _people(3)
    _people(1, mobile=None)
    version = draft(disclosures=[HIRING, BACKGROUND, TALENT_POOL])
    page = admin_client.get(f"/admin/policies/policyversion/{version.pk}/publish/").content.decode()
    assert "4 people with an open service will be told: 4 by email, 3 also by SMS" in page
    assert "Uhakiki Vetting Ltd" in page and "Opt in to this" not in page  # the text part is shown
    assert "we will do it only if you opt in" in page
    response = admin_client.post(f"/admin/policies/policyversion/{version.pk}/publish/")
    assert response.status_code == 302
    version.refresh_from_db()
    assert version.number == 2


# --- the one-click choice ------------------------------------------------------------------------
@pytest.fixture
def told(demo_purposes, django_capture_on_commit_callbacks):
    person = _people(1)[0]
    with django_capture_on_commit_callbacks(execute=True):
        publish(disclosures=[HIRING, BACKGROUND, TALENT_POOL])
    links = _choice_links(mail.outbox[0].body)
    return person, links


def test_the_opt_out_link_records_one_choice_and_keeps_the_service(told, client, django_capture_on_commit_callbacks):
    person, links = told
    path = links[0].split("http://127.0.0.1:8000")[-1]
    page = client.get(path)
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert DisclosureChoice.objects.count() == 0  # looking changes nothing (mail scanners follow links)
    client.post(path)
    client.post(path)
    choice = DisclosureChoice.objects.get()
    assert (choice.subject, choice.choice, choice.version.number) == (person, "opted-out", 2)
    assert "You have opted out" in client.get(path).content.decode()
    assert ServiceEngagement.objects.get(subject=person).is_open


def test_a_tampered_or_foreign_link_changes_nothing(told, client):
    person, links = told
    path = links[0].split("http://127.0.0.1:8000")[-1]
    tampered = path[:-3] + ("A" if path[-3] != "A" else "B") + path[-2:]
    assert client.post(tampered).status_code == 404
    # A link for a disclosure that version 1 did not add (it added nothing: it was the first).
    foreign = choice_url(subject=person, version=PolicyVersion.objects.get(number=1), key="hiring-company",
                         choice="opted-out", language="en").split("http://127.0.0.1:8000")[-1]
    assert client.post(foreign).status_code == 404
    assert DisclosureChoice.objects.count() == 0


def test_an_incompatible_new_purpose_asks_for_an_opt_in(told, client):
    person, links = told
    assert len(links) == 2
    body = mail.outbox[0].body
    opt_in = _choice_links(body.split("only if you opt in")[1])[0].split("http://127.0.0.1:8000")[-1]
    assert "Opt in" in client.get(opt_in).content.decode()
    client.post(opt_in)
    assert DisclosureChoice.objects.get().choice == "opted-in"


def test_the_choice_page_speaks_the_persons_language(demo_purposes, django_capture_on_commit_callbacks, client):
    person = _people(1)[0]
    # Their language is the one their last message was in (they chose it on the form).
    Notification.objects.create(subject=person, channel="email", template="confirmation", language="sw",
                                recipient="amani@example.org", status="sent", sent_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        publish(disclosures=[HIRING, BACKGROUND])
    path = _choice_links(mail.outbox[0].body)[0].split("http://127.0.0.1:8000")[-1]
    client.post(path)
    assert '<html lang="sw">' in client.get(path).content.decode()


def test_the_private_page_shows_the_change_with_the_same_choice_and_the_disclosures(
        demo_purposes, django_capture_on_commit_callbacks, client):
    person = _people(1)[0]
    with django_capture_on_commit_callbacks(execute=True):
        publish(disclosures=[HIRING, BACKGROUND])
    disclosure_record(subject=person, actor=Actor.system("t"), recipient="High Court", data_categories=["identity"],
                      legal_basis="legal-obligation", reference="HCCR 12/2026")
    home = client.get(f"/me/{link_token(person)}/").content.decode()
    assert "Our privacy policy changed" in home and "Uhakiki Vetting Ltd" in home
    opt_out = re.search(r'href="http://[^"]+(/privacy/choice/[^"/]+/)"', home).group(1)
    client.post(opt_out)
    home = client.get(f"/me/{link_token(person)}/").content.decode()
    assert "You have opted out" in home
    assert "High Court" in home and "HCCR 12/2026" in home
    assert ServiceEngagement.objects.get(subject=person).is_open


def test_an_address_that_cannot_be_sent_to_puts_the_person_on_the_call_list_and_holds_up_nobody(
        demo_purposes, django_capture_on_commit_callbacks, sms_outbox, monkeypatch):
    broken, fine = _people(1, mobile=None, email="old@example.org")[0], _people(1)[0]
    real = notification_services._normalise_recipient

    def normalise(channel, recipient):  # as it does for an address it cannot send to
        if recipient == "old@example.org":
            raise ValueError("recipient is not a valid email address")
        return real(channel, recipient)

    monkeypatch.setattr("apps.notifications.services._normalise_recipient", normalise)
    with django_capture_on_commit_callbacks(execute=True):
        published = publish(disclosures=[HIRING, BACKGROUND])
    assert [r.subject for r in campaign_call_list(published.campaign)] == [broken]
    assert CampaignRecipient.objects.get(subject=fine).email.status == "sent"


def test_the_campaign_page_refreshes_itself_while_messages_are_pending_and_stops_when_done(
        demo_purposes, django_capture_on_commit_callbacks, admin_client, sms_outbox):
    _people(2)
    published = publish(disclosures=[HIRING, BACKGROUND])  # nothing sent yet: the jobs run after commit
    url = f"/admin/policies/campaign/{published.campaign.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert '<meta http-equiv="refresh" content="5">' in page and '<progress max="100" value="0">' in page
    with django_capture_on_commit_callbacks(execute=True):
        campaign_fan_out(campaign_id=published.campaign.pk)
    page = admin_client.get(url).content.decode()
    assert 'http-equiv="refresh"' not in page and "4 sent, 0 pending, 0 failed, 0 to call" in page


def test_the_officer_retries_failed_messages_from_the_admin(
        demo_purposes, django_capture_on_commit_callbacks, admin_client, settings):
    _people(1, mobile=None)
    settings.EMAIL_BACKEND = "tests.notifications.fakes.FlakyEmailBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    FlakyEmailBackend.failures = [ConnectionError("down")]
    with django_capture_on_commit_callbacks(execute=True):
        published = publish(disclosures=[HIRING, BACKGROUND])
    assert campaign_progress(published.campaign)["failed"] == 1
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/policies/campaign/", {"action": "retry_failed",
                                                        "_selected_action": [str(published.campaign.pk)]})
    assert campaign_progress(published.campaign)["sent"] == 1 and len(mail.outbox) == 1
    assert AuditEvent.objects.filter(verb="campaign.retried").count() == 1


def test_staff_read_the_script_and_record_the_call_in_the_admin_audited(
        demo_purposes, django_capture_on_commit_callbacks, admin_client, settings, sms_outbox):
    person = _people(1, mobile=None)[0]
    settings.EMAIL_BACKEND = "tests.notifications.fakes.FlakyEmailBackend"
    settings.NOTIFICATION_MAX_ATTEMPTS = 1
    FlakyEmailBackend.failures = [ConnectionError("down")]
    with django_capture_on_commit_callbacks(execute=True):
        publish(disclosures=[HIRING, BACKGROUND])
    recipient = CampaignRecipient.objects.get(subject=person)
    listing = admin_client.get("/admin/policies/campaignrecipient/").content.decode()
    assert f"/admin/policies/campaignrecipient/{recipient.pk}/change/" in listing  # on the call list
    page = admin_client.get(f"/admin/policies/campaignrecipient/{recipient.pk}/change/").content.decode()
    assert "Our privacy policy version 2" in page and "Uhakiki Vetting Ltd" in page and "opt out" in page
    admin_client.post("/admin/policies/campaignrecipient/", {"action": "record_no_answer",
                                                             "_selected_action": [str(recipient.pk)]})
    recipient.refresh_from_db()
    assert recipient.call_outcome == "no-answer" and recipient.called_at is not None
    event = AuditEvent.objects.get(verb="campaign.call_recorded")
    assert event.target == str(person.pk) and event.detail["outcome"] == "no-answer"
    assert not DisclosureChoice.objects.exists()  # no answer is no choice
