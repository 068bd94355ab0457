"""One clock: a breach's deadlines read the same on the register and on the dashboard, in Nairobi time."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import formats

from apps.audit.services import Actor
from apps.staff.services import breach_record

pytestmark = pytest.mark.django_db
DISCOVERED = datetime(2026, 3, 2, 21, 30, tzinfo=UTC)  # 3 March, 00:30 in Nairobi


@pytest.fixture
def officer(django_user_model, staff_client):
    user = django_user_model.objects.create_user("officer", password="x" * 16, is_staff=True)
    user.groups.add(Group.objects.get(name="privacy officer"))
    return staff_client(user)


@pytest.fixture
def breach():
    return breach_record(actor=Actor.system("test"), summary="A laptop was stolen", discovered_at=DISCOVERED,
                         people_affected=3)


@time_machine.travel(datetime(2026, 3, 3, 9, 0, tzinfo=UTC), tick=False)
def test_the_register_and_the_dashboard_show_the_same_deadline_in_nairobi_time(officer, breach):
    register = officer.get("/admin/staff/breach/").content.decode()
    dashboard = officer.get("/admin/dashboard/").content.decode()
    commissioner = "6 March 2026, 00:30"  # 72 hours after 00:30 on 3 March, Nairobi (21:30 UTC the 5th)
    controllers = "5 March 2026, 00:30"  # 48 hours
    for text in (commissioner, controllers):
        assert text in register and text in dashboard
    assert "21:30" not in register and "2026-03-05" not in register


@time_machine.travel(datetime(2026, 3, 3, 9, 0, tzinfo=UTC), tick=False)
@pytest.mark.parametrize(("language", "expected"), [("en", "6 March 2026, 00:30"), ("sw", "6 Machi 2026, 00:30")])
def test_with_the_kenyan_formats_every_staff_date_is_day_month_year_24_hours(officer, breach, settings, language,
                                                                               expected):
    settings.FORMAT_MODULE_PATH = ["apps.core.formats"]
    formats._format_cache.clear()
    formats._format_modules_cache.clear()
    try:
        headers = {"HTTP_ACCEPT_LANGUAGE": language}
        assert expected in officer.get("/admin/staff/breach/", **headers).content.decode()
        assert expected in officer.get("/admin/dashboard/", **headers).content.decode()
    finally:
        formats._format_cache.clear()
        formats._format_modules_cache.clear()
