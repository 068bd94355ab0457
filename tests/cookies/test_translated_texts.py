"""Cookie categories and declarations in every language: columns staff edit, pages in the visitor's language."""

import pytest
from django.urls import reverse

from apps.cookies.models import CookieCategory, CookieDeclaration
from apps.cookies.selectors import declaration_version
from apps.core.cache import content_reset

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_content_cache():
    content_reset()
    yield
    content_reset()


def _swahili(client):
    client.cookies["django_language"] = "sw"
    return client


def test_the_seed_writes_english_and_swahili_columns(catalogue):
    analytics = CookieCategory.objects.get(slug="analytics")
    assert (analytics.name_en, analytics.name_sw) == ("Analytics", "Takwimu")
    declaration = CookieDeclaration.objects.get(name="_pp_analytics")
    assert declaration.provider_sw == "Tovuti hii" and declaration.duration_sw == "Siku 30"
    assert declaration.purpose_sw and declaration.purpose_sw != declaration.purpose_en


def test_the_swahili_pages_show_the_swahili_column_and_fall_back_to_english(client, catalogue):
    CookieCategory.objects.filter(slug="analytics").update(description_sw="Maelezo mapya ya takwimu.")
    CookieDeclaration.objects.filter(name="_pp_marketing").update(purpose_sw=None, purpose_en="Only in English.")
    preferences = _swahili(client).get(reverse("cookies:preferences")).content.decode()
    assert "Maelezo mapya ya takwimu." in preferences
    assert "Only in English." in preferences  # no Swahili written: the English, not an empty cell
    banner = client.get("/").content.decode()
    assert "Maelezo mapya ya takwimu." in banner and "Takwimu" in banner

    client.cookies["django_language"] = "en"
    english = client.get(reverse("cookies:preferences")).content.decode()
    assert "Maelezo mapya" not in english and "Count visits and page views" in english


@pytest.mark.parametrize("change", [
    lambda: CookieCategory.objects.filter(slug="analytics").update(description_sw="Maneno mengine."),
    lambda: CookieCategory.objects.filter(slug="analytics").update(name_sw="Uchambuzi"),
    lambda: CookieDeclaration.objects.filter(name="_pp_analytics").update(purpose_sw="Kwa matangazo pia."),
    lambda: CookieDeclaration.objects.filter(name="_pp_analytics").update(duration_sw="Siku 60"),
    lambda: CookieDeclaration.objects.filter(name="_pp_analytics").update(provider_sw="Kampuni nyingine"),
], ids=["category-description", "category-name", "purpose", "duration", "provider"])
def test_changing_only_the_swahili_wording_changes_the_version(catalogue, change):
    before = declaration_version()
    change()
    assert declaration_version() != before


def test_a_swahili_edit_in_the_admin_brings_the_banner_back(admin_client, client, catalogue):
    _swahili(client).post(reverse("cookies:save"), {"action": "accept_all"})
    assert 'id="cc-title"' not in client.get("/").content.decode()  # the choice stands, no banner

    declaration = CookieDeclaration.objects.get(name="_pp_analytics")
    change = reverse("admin:cookies_cookiedeclaration_change", args=[declaration.pk])
    form = admin_client.get(change).content.decode()
    assert 'name="purpose_en"' in form and 'name="purpose_sw"' in form  # staff edit both languages
    response = admin_client.post(change, {
        "name": declaration.name, "category": declaration.category_id, "party": declaration.party,
        "provider_en": declaration.provider_en, "provider_sw": declaration.provider_sw,
        "purpose_en": declaration.purpose_en, "purpose_sw": "Huhesabu kurasa, na sasa kwa matangazo pia.",
        "duration_en": declaration.duration_en, "duration_sw": declaration.duration_sw,
    })
    assert response.status_code == 302
    declaration.refresh_from_db()
    assert declaration.purpose_en == "Counts your page views for our own analytics script (demo)."
    assert declaration.purpose_sw == "Huhesabu kurasa, na sasa kwa matangazo pia."

    page = client.get("/").content.decode()
    assert 'id="cc-title"' in page  # asked again, at once: the cached catalogue was bumped
    assert "Huhesabu kurasa, na sasa kwa matangazo pia." in client.get(reverse("cookies:preferences")).content.decode()


def test_staff_edit_a_category_in_both_languages(admin_client, catalogue):
    change = reverse("admin:cookies_cookiecategory_change", args=[catalogue["analytics"].pk])
    form = admin_client.get(change).content.decode()
    assert 'name="name_en"' in form and 'name="name_sw"' in form and 'name="description_sw"' in form
    # The category's cookies, listed under it, have both languages too.
    assert 'name="declarations-0-purpose_en"' in form and 'name="declarations-0-purpose_sw"' in form
    assert "Takwimu" in form


def test_staff_find_a_declaration_by_its_swahili_purpose(admin_client, catalogue):
    CookieDeclaration.objects.filter(name="_pp_marketing").update(purpose_sw="Matangazo ya kazi yalikufikia.")
    changelist = reverse("admin:cookies_cookiedeclaration_changelist")
    found = admin_client.get(changelist, {"q": "Matangazo ya kazi"}).content.decode()
    assert "_pp_marketing" in found and "_pp_analytics" not in found
