"""The declaration version: a fingerprint of what visitors are told, computed from the content."""

import pytest

from apps.cookies.models import CookieCategory, CookieDeclaration
from apps.cookies.selectors import declaration_version

pytestmark = pytest.mark.django_db


def test_it_is_stable_while_nothing_changes(catalogue):
    assert declaration_version() == declaration_version()
    assert len(declaration_version()) == 16


@pytest.mark.parametrize("change", [
    lambda: CookieDeclaration.objects.filter(name="_pp_analytics").update(duration="60 days"),
    lambda: CookieDeclaration.objects.filter(name="_pp_analytics").update(purpose="Also for advertising."),
    lambda: CookieDeclaration.objects.filter(name="_pp_marketing").delete(),
    lambda: CookieDeclaration.objects.create(name="_new", provider="This site", purpose="New.", duration="1 day",
                                             category=CookieCategory.objects.get(slug="analytics")),
    lambda: CookieDeclaration.objects.filter(name="_pp_analytics").update(
        category=CookieCategory.objects.get(slug="preferences")),
    lambda: CookieCategory.objects.filter(slug="analytics").update(description="Now something else."),
    lambda: CookieCategory.objects.filter(slug="marketing").update(off_under_gpc=False),
    lambda: CookieCategory.objects.create(slug="social", name="Social", description="Share buttons."),
], ids=["duration", "purpose", "removed", "added", "recategorised", "category-text", "gpc-rule", "new-category"])
def test_it_changes_when_anything_a_visitor_is_told_changes(catalogue, change):
    before = declaration_version()
    change()
    assert declaration_version() != before


def test_it_does_not_change_when_only_the_display_order_changes(catalogue):
    before = declaration_version()
    CookieCategory.objects.filter(slug="analytics").update(order=99)
    assert declaration_version() == before


def test_restoring_the_old_content_restores_the_old_version(catalogue):
    before = declaration_version()
    CookieDeclaration.objects.filter(name="_pp_analytics").update(duration="60 days")
    CookieDeclaration.objects.filter(name="_pp_analytics").update(duration="30 days")
    assert declaration_version() == before
