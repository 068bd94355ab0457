"""A freshly migrated site takes nothing until its policy and purposes exist."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from modeltranslation.translator import translator

from apps.audit.models import AuditEvent
from apps.consent.checks import check_forms_open
from apps.consent.models import Purpose, PurposeNotice
from apps.cookies.models import CookieCategory
from apps.policies.models import PolicyVersion
from apps.subjects.models import DataSubject
from tests.conftest import ROOT
from tests.consent.helpers import application_post, send_form

pytestmark = pytest.mark.django_db(transaction=True)
EXAMPLE = ROOT / "deploy" / "site.example.toml"


@pytest.mark.parametrize("path", ["/apply/", "/contact/"])
def test_the_forms_say_not_open_yet_before_set_up(client, path):
    response = client.get(path)
    assert response.status_code == 503
    assert "This form is not open yet" in response.content.decode()


def test_an_application_sent_before_set_up_stores_nothing(client):
    response = send_form(client, "/apply/", application_post())
    assert response.status_code == 503
    assert DataSubject.objects.count() == 0


def test_a_system_check_names_what_is_missing():
    warnings = check_forms_open(None, databases=["default"])
    assert [w.id for w in warnings] == ["consent.W001", "consent.W001"]
    assert "privacy policy version in force" in warnings[0].msg and "required purpose" in warnings[0].msg
    assert "setup_site" in warnings[0].hint


def test_setup_site_opens_the_forms_and_changes_nothing_the_second_time(client, settings):
    settings.RATELIMIT_ENABLE = False
    out = StringIO()
    call_command("setup_site", "--from", str(EXAMPLE), stdout=out)
    assert "apply form: open" in out.getvalue() and "contact form: open" in out.getvalue()
    assert PolicyVersion.objects.get().version == "1"
    assert Purpose.objects.filter(required=True).count() == 3
    assert CookieCategory.objects.filter(is_necessary=True).exists()
    events = AuditEvent.objects.count()
    assert check_forms_open(None, databases=["default"]) == []

    again = StringIO()
    call_command("setup_site", "--from", str(EXAMPLE), stdout=again)
    assert "created" not in again.getvalue() and "published" not in again.getvalue()
    assert AuditEvent.objects.count() == events
    assert client.get("/apply/").status_code == 200
    assert send_form(client, "/apply/", application_post()).status_code == 302


def test_the_first_version_setup_site_publishes_lists_the_purposes_in_what_we_collect(client):
    call_command("setup_site", "--from", str(EXAMPLE), stdout=StringIO())
    version = PolicyVersion.objects.get(number=1)
    for language in ["en", "sw"]:
        holdings = [row["holding"] for row in version.data_table[language]]
        assert holdings[:4] == ["purpose:recruitment", "purpose:share-with-employer", "purpose:enquiry-response",
                                "purpose:marketing"], language
    page = client.get("/privacy/versions/1/").content.decode()
    for text in ["Recruitment", "the client company that is hiring for this job", "Kept for 365 days."]:
        assert text in page.split("<table")[-1], text  # in the frozen table, not only in the prose


def test_everything_setup_site_puts_before_visitors_reads_in_swahili_too(client):
    call_command("setup_site", "--from", str(EXAMPLE), stdout=StringIO())
    missing = []
    for model in translator.get_registered_models():
        fields = translator.get_options_for_model(model).fields
        for row in model.objects.all():
            missing += [f"{model._meta.label} {row.pk} {name}" for name in fields
                        if getattr(row, f"{name}_en", None) and not getattr(row, f"{name}_sw", None)]
    assert missing == []
    # The cookie categories have their own Swahili columns, filled with real Swahili (not a copy).
    categories = list(CookieCategory.objects.all())
    assert categories and all(c.name_sw != c.name_en and c.description_sw != c.description_en for c in categories)
    with translation.override("sw"):
        assert [c.name for c in CookieCategory.objects.all()] == [c.name_sw for c in categories]
    assert [row["categories"] for row in PolicyVersion.objects.get(number=1).data_table["sw"][:1]] == ["Uajiri"]
    client.cookies["django_language"] = "sw"
    assert "Msingi wa kisheria:" in client.get("/apply/").content.decode()
    assert "Sera ya faragha" in client.get("/privacy/").content.decode()
    notice = PurposeNotice.objects.get(purpose__slug="recruitment", language="sw")
    assert "Uajiri" in notice.paragraphs[0]


def test_setup_site_refuses_a_file_whose_controller_is_not_the_configured_one(tmp_path, settings):
    settings.CONTROLLER_NAME = "Another Ltd"
    with pytest.raises(CommandError, match="set CONTROLLER_NAME"):
        call_command("setup_site", "--from", str(EXAMPLE))
    assert PolicyVersion.objects.count() == 0


def test_the_check_is_a_warning_that_does_not_stop_migrate(capsys):
    call_command("check", "--database", "default")  # an error would raise SystemCheckError
    assert "consent.W001" in capsys.readouterr().err
