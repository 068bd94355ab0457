import io

import pytest

from apps.cookies.models import CookieCategory, CookieDeclaration
from apps.cookies.seed import seed_demo

pytestmark = pytest.mark.django_db


def test_the_demo_seed_creates_the_four_categories_and_the_sites_cookies_once():
    seed_demo(io.StringIO())
    seed_demo(io.StringIO())
    categories = {c.slug: c for c in CookieCategory.objects.all()}
    assert list(categories) == ["necessary", "preferences", "analytics", "marketing"]
    assert categories["necessary"].is_necessary and not categories["analytics"].is_necessary
    assert {s for s, c in categories.items() if c.off_under_gpc} == {"analytics", "marketing"}
    declared = dict(CookieDeclaration.objects.values_list("name", "category__slug"))
    assert declared == {
        "csrftoken": "necessary", "sessionid": "necessary", "django_language": "necessary",
        "pp_consent": "necessary", "pp_sent": "necessary", "_pp_analytics": "analytics", "_pp_marketing": "marketing",
    }


def test_running_the_seed_again_keeps_staff_edits():
    seed_demo(io.StringIO())
    CookieCategory.objects.filter(slug="analytics").update(description="Edited by the privacy officer.")
    seed_demo(io.StringIO())
    assert CookieCategory.objects.get(slug="analytics").description == "Edited by the privacy officer."
