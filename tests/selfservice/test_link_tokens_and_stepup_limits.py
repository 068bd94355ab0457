"""Private-link tokens reveal nothing; step-up ends with the link version; guesses are capped per link."""

import base64
import re

import pytest

from apps.audit.services import Actor
from apps.subjects.links import LinkProblem, link_resolve, link_token, referee_resolve, referee_token
from apps.subjects.models import DataSubject
from apps.subjects.services import subject_links_revoke
from tests.selfservice.helpers import apply_for_link, step_up

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def applicant(client, mailoutbox, demo_purposes) -> str:
    return apply_for_link(client, mailoutbox)


def test_a_token_reveals_nothing_about_whose_it_is(applicant):
    subject = DataSubject.objects.get()
    token = link_token(subject)
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    assert subject.pk.bytes not in raw and subject.pk.hex.encode() not in raw
    assert subject.pk.hex not in token and str(subject.pk) not in token and ":" not in token
    assert link_token(subject) != token  # two links for one person look unrelated
    assert link_resolve(token).subject == subject


def test_a_changed_token_or_one_of_another_kind_is_invalid(applicant):
    subject = DataSubject.objects.get()
    token = link_token(subject)
    flipped = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    assert link_resolve(flipped).problem is LinkProblem.INVALID
    assert link_resolve("not-a-token").problem is LinkProblem.INVALID
    referee = referee_token(subject, "0" * 32, "Amani Wekesa")
    assert link_resolve(referee).problem is LinkProblem.INVALID  # a referee's link opens no data
    assert referee_resolve(token)[2] is LinkProblem.INVALID


def test_a_token_from_before_a_secret_key_change_still_opens_with_the_fallback(applicant, settings):
    subject = DataSubject.objects.get()
    token = link_token(subject)
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "n" * 50, [old]
    assert link_resolve(token).subject == subject
    settings.SECRET_KEY_FALLBACKS = []
    assert link_resolve(token).problem is LinkProblem.INVALID


def test_signing_out_all_links_ends_a_step_up_made_before_it(client, applicant, mailoutbox):
    step_up(client, mailoutbox, applicant)
    assert client.get(applicant + "data/").status_code == 200
    subject = DataSubject.objects.get()
    subject_links_revoke(subject=subject, actor=Actor.subject(subject))
    new_link = "/me/" + link_token(subject) + "/"
    response = client.get(new_link + "data/")  # the same browser, a fresh link: ask for a code again
    assert response.status_code == 302 and "/code/" in response["Location"]


def test_ten_wrong_codes_across_codes_lock_the_link_and_say_how_to_get_a_new_one(client, applicant, mailoutbox):
    answers = []
    for _ in range(2):  # each code allows 5 tries; a new code does not reset the link's budget
        client.post(applicant + "code/", {"action": "send"})
        code = re.search(r"\b(\d{6})\b", mailoutbox[-1].body).group(1)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        answers += [client.post(applicant + "code/", {"action": "verify", "code": wrong}) for _ in range(5)]
    assert [a.status_code for a in answers[:9]] == [400] * 9 and answers[9].status_code == 403
    # The try before the lock says so: it is the link, not the code, that runs out.
    assert "1 more try, then this link stops working" in answers[8].content.decode()
    assert client.get(applicant).status_code == 410  # signed out
    locked = mailoutbox[-1]
    assert "locked" in locked.subject and "/me/resend/" in locked.body
    assert "Amani" not in locked.subject


def test_a_new_link_after_a_lock_has_its_own_budget(client, applicant, mailoutbox, settings):
    settings.STEPUP_MAX_FAILURES = 2
    client.post(applicant + "code/", {"action": "send"})
    for _ in range(2):
        client.post(applicant + "code/", {"action": "verify", "code": "000000"})
    assert client.get(applicant).status_code == 410
    new_link = "/me/" + link_token(DataSubject.objects.get()) + "/"
    step_up(client, mailoutbox, new_link)
