"""The cookie banner as a visitor meets it: headless Chromium against the live server.

Data made here is visible to the server: live-server tests run on a transactional database.
"""

import pytest
from playwright.sync_api import Page, expect

from apps.cookies.models import CookieConsent, CookieDeclaration
from apps.cookies.services import cookie_catalogue_changed

pytestmark = pytest.mark.real_services

ANALYTICS_JS = "/static/cookies/demo-analytics.js"
MARKETING_JS = "/static/cookies/demo-marketing.js"
# What a browser with Global Privacy Control exposes to scripts (the header is sent separately).
GPC_IN_JS = "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true})"


def _necessary_cookie_names() -> set[str]:
    return set(CookieDeclaration.objects.filter(category__is_necessary=True).values_list("name", flat=True))


def _cookie_names(page: Page) -> set[str]:
    return {c["name"] for c in page.context.cookies()}


def _document_cookie_names(page: Page) -> set[str]:
    raw = page.evaluate("document.cookie")
    return {part.split("=", 1)[0] for part in raw.split("; ") if part}


def _ran(page: Page, flag: str) -> bool:
    return page.evaluate(f"window.{flag} !== undefined && window.{flag}.ran === true")


def _banner(page: Page):
    return page.get_by_role("region", name="Your cookie choices")


def _assert_clean(page: Page) -> None:
    assert page.console_errors == []  # a CSP violation would show up here too
    assert page.foreign_requests == []


def test_a_first_visit_sets_only_necessary_cookies_and_runs_no_gated_script(new_page, catalogue):
    page = new_page()
    page.goto("/")
    expect(_banner(page)).to_be_visible()
    page.get_by_role("link", name="Privacy policy").first.click()
    expect(page).to_have_url(f"{page.url.split('/privacy')[0]}/privacy/")
    page.goto("/cookies/")
    necessary = _necessary_cookie_names()
    assert _cookie_names(page) <= necessary
    assert _document_cookie_names(page) <= necessary
    assert page.set_cookies.set_names <= necessary  # every response, not only what stuck
    assert not _ran(page, "ppAnalytics") and not _ran(page, "ppMarketing")
    assert not [u for u in page.requested if ANALYTICS_JS in u or MARKETING_JS in u]  # not even fetched
    _assert_clean(page)


def test_reject_all_keeps_everything_optional_off_and_the_banner_away(new_page, catalogue):
    page = new_page()
    page.goto("/")
    page.get_by_role("button", name="Reject all").click()
    expect(_banner(page)).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("Your cookie choices are saved")
    consent = CookieConsent.objects.get()
    assert consent.action == CookieConsent.Action.REJECT_ALL and not consent.gpc
    assert consent.allowed_categories == ["necessary"]
    assert _cookie_names(page) <= _necessary_cookie_names()

    page.reload()
    expect(_banner(page)).to_have_count(0)
    page.get_by_role("link", name="Privacy policy").first.click()
    page.wait_for_url("**/privacy/")
    expect(_banner(page)).to_have_count(0)
    assert not _ran(page, "ppAnalytics")
    assert not [u for u in page.requested if ANALYTICS_JS in u or MARKETING_JS in u]
    assert _cookie_names(page) <= _necessary_cookie_names()
    assert page.set_cookies.set_names <= _necessary_cookie_names()
    assert CookieConsent.objects.count() == 1
    _assert_clean(page)


def test_allowing_analytics_only_runs_the_analytics_snippet_and_not_marketing(new_page, catalogue):
    page = new_page()
    page.goto("/")
    page.get_by_text("Choose", exact=True).click()
    expect(page.get_by_role("switch", name="Analytics")).not_to_be_checked()
    expect(page.get_by_role("switch", name="Marketing")).not_to_be_checked()
    expect(page.get_by_role("switch", name="Analytics")).to_have_attribute("aria-checked", "false")
    page.get_by_role("switch", name="Analytics").check()
    expect(page.get_by_role("switch", name="Analytics")).to_have_attribute("aria-checked", "true")  # in step
    page.get_by_role("button", name="Save my choices").click()
    page.wait_for_function("() => window.ppAnalytics && window.ppAnalytics.ran")  # at once, without a page load
    assert not _ran(page, "ppMarketing")
    assert "_pp_analytics" in _document_cookie_names(page)
    assert "_pp_marketing" not in _cookie_names(page)
    consent = CookieConsent.objects.get()
    assert consent.action == CookieConsent.Action.CUSTOM
    assert consent.choices == {"necessary": True, "preferences": False, "analytics": True, "marketing": False}

    page.reload()
    expect(_banner(page)).to_have_count(0)
    page.wait_for_function("() => window.ppAnalytics && window.ppAnalytics.pageViews === 2")
    assert not _ran(page, "ppMarketing")
    assert not [u for u in page.requested if MARKETING_JS in u]
    _assert_clean(page)


def test_withdrawing_analytics_in_the_preference_centre_deletes_its_cookie(new_page, catalogue):
    page = new_page()
    page.goto("/")
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.ppAnalytics && window.ppMarketing")
    assert {"_pp_analytics", "_pp_marketing"} <= _cookie_names(page)

    page.get_by_role("link", name="Cookie settings").click()
    page.wait_for_url("**/cookies/")
    expect(page.get_by_role("switch", name="Analytics")).to_be_checked()
    expect(page.get_by_role("switch", name="Analytics")).to_have_attribute("aria-checked", "true")
    page.get_by_role("switch", name="Analytics").uncheck()
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    expect(page.get_by_role("switch", name="Analytics")).to_have_attribute("aria-checked", "false")
    expect(page.get_by_role("switch", name="Necessary")).to_have_attribute("aria-checked", "true")
    assert "_pp_analytics" not in _cookie_names(page)
    assert "_pp_marketing" in _cookie_names(page)
    assert "_pp_analytics" in page.set_cookies.deleted_names  # the server expires it too
    page.reload()
    assert not _ran(page, "ppAnalytics") and _ran(page, "ppMarketing")
    assert [c.action for c in CookieConsent.objects.order_by("created_at", "pk")] == ["accept_all", "custom"]
    _assert_clean(page)


def test_with_the_gpc_header_everything_it_covers_starts_off_and_the_banner_says_so(new_page, catalogue):
    page = new_page(extra_http_headers={"Sec-GPC": "1"})
    page.goto("/")
    expect(_banner(page)).to_contain_text("Global Privacy Control signal, and we honour it")
    page.get_by_text("Choose", exact=True).click()
    expect(page.get_by_role("switch", name="Analytics")).not_to_be_checked()
    expect(page.get_by_role("switch", name="Marketing")).not_to_be_checked()
    # Preferences has no cookie, so it is not offered (issue 8): saving keeps GPC's "no".
    expect(page.get_by_role("switch", name="Preferences")).to_have_count(0)
    page.get_by_role("button", name="Save my choices").click()
    expect(_banner(page)).to_have_count(0)
    consent = CookieConsent.objects.get()
    assert consent.gpc and consent.gpc_decided
    assert consent.allowed_categories == ["necessary"]
    page.reload()
    assert not _ran(page, "ppAnalytics")
    _assert_clean(page)


def test_navigator_global_privacy_control_alone_is_honoured_by_our_script(new_page, catalogue):
    page = new_page()
    page.add_init_script(GPC_IN_JS)
    page.goto("/")
    expect(_banner(page).get_by_text("Global Privacy Control signal")).to_be_visible()
    page.get_by_role("button", name="Reject all").click()
    expect(_banner(page)).to_have_count(0)
    assert CookieConsent.objects.get().gpc


def test_gpc_turned_on_later_takes_back_an_earlier_yes_from_the_browser(new_page, catalogue):
    page = new_page()
    page.goto("/")
    page.get_by_role("button", name="Accept all").click()
    page.wait_for_function("() => window.ppAnalytics && window.ppAnalytics.ran")
    later = page.context.new_page()  # same visitor, same cookies; the browser now exposes GPC
    later.add_init_script(GPC_IN_JS)
    later.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    later.goto("/privacy/")
    later.wait_for_function("() => !document.cookie.includes('_pp_analytics')")
    assert not _ran(later, "ppAnalytics") and not _ran(later, "ppMarketing")
    for _ in range(50):
        if CookieConsent.objects.filter(action=CookieConsent.Action.GPC).exists():
            break
        later.wait_for_timeout(100)
    logged = CookieConsent.objects.get(action=CookieConsent.Action.GPC)
    assert logged.gpc_decided and logged.allowed_categories == ["necessary", "preferences"]
    _assert_clean(page)


def test_without_javascript_the_banner_form_saves_and_comes_back(new_page, catalogue):
    page = new_page(java_script_enabled=False)
    page.goto("/privacy/")
    page.get_by_text("Choose", exact=True).click()  # <details> needs no script
    page.get_by_role("switch", name="Analytics").check()
    page.get_by_role("button", name="Save my choices").click()
    page.wait_for_url("**/privacy/")
    expect(_banner(page)).to_have_count(0)
    consent = CookieConsent.objects.get()
    assert consent.action == CookieConsent.Action.CUSTOM and consent.allowed_categories == ["analytics", "necessary"]
    assert "pp_consent" in _cookie_names(page)
    assert not [u for u in page.requested if ANALYTICS_JS in u]  # gated scripts need our script
    _assert_clean(page)


def test_without_javascript_reject_all_works_too(new_page, catalogue):
    page = new_page(java_script_enabled=False)
    page.goto("/")
    page.get_by_role("button", name="Reject all").click()
    expect(_banner(page)).to_have_count(0)
    assert CookieConsent.objects.get().action == CookieConsent.Action.REJECT_ALL


def test_changing_a_declaration_brings_the_banner_back(new_page, catalogue):
    page = new_page()
    page.goto("/")
    page.get_by_role("button", name="Accept all").click()
    expect(_banner(page)).to_have_count(0)
    page.reload()
    expect(_banner(page)).to_have_count(0)
    CookieDeclaration.objects.filter(name="_pp_analytics").update(duration="13 months")
    cookie_catalogue_changed()  # as the admin does after every save (pages cache the catalogue until then)
    page.reload()
    expect(_banner(page)).to_be_visible()
    assert not _ran(page, "ppAnalytics")  # the old yes was for a declaration that no longer holds
    assert "_pp_analytics" not in _cookie_names(page)
    _assert_clean(page)


def test_the_banner_is_reachable_by_keyboard_and_focus_moves_on_after_choosing(new_page, catalogue):
    page = new_page()
    page.goto("/")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Read about each cookie")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Accept all")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Reject all")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("summary")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")  # the necessary switch is disabled and skipped; preferences (empty) is not offered
    expect(page.get_by_role("switch", name="Analytics")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    expect(page.get_by_role("button", name="Reject all")).to_be_focused()
    page.keyboard.press("Enter")
    expect(_banner(page)).to_have_count(0)
    expect(page.locator("#main")).to_be_focused()
    assert CookieConsent.objects.get().action == CookieConsent.Action.REJECT_ALL
    _assert_clean(page)


def test_the_banner_is_usable_at_320_pixels_with_accept_and_reject_of_equal_weight(new_page, catalogue):
    page = new_page(viewport={"width": 320, "height": 640})
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320  # no sideways scrolling
    accept = page.get_by_role("button", name="Accept all")
    reject = page.get_by_role("button", name="Reject all")
    a, r = accept.bounding_box(), reject.bounding_box()
    assert a["y"] == r["y"]  # side by side
    assert abs(a["width"] - r["width"]) < 1 and a["height"] == r["height"] and a["height"] >= 44
    style = "e => { const s = getComputedStyle(e); return [s.backgroundColor, s.color, s.fontSize, s.fontWeight]; }"
    assert accept.evaluate(style) == reject.evaluate(style)
    page.get_by_text("Choose", exact=True).click()
    page.get_by_role("switch", name="Marketing").check()
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.get_by_role("button", name="Save my choices").click()
    expect(_banner(page)).to_have_count(0)
    page.goto("/cookies/")  # the declaration tables scroll inside their own region, not the page
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    a = page.get_by_role("button", name="Accept all").bounding_box()
    r = page.get_by_role("button", name="Reject all").bounding_box()
    assert a["y"] == r["y"] and abs(a["width"] - r["width"]) < 1
    _assert_clean(page)


def test_when_saving_in_the_background_fails_the_form_posts_as_usual(new_page, catalogue):
    page = new_page()
    page.route("**/cookies/save/", lambda route: route.abort() if route.request.resource_type == "fetch"
               else route.continue_())
    page.goto("/privacy/")
    page.get_by_role("button", name="Reject all").click()
    page.wait_for_url("**/privacy/")
    expect(_banner(page)).to_have_count(0)
    assert CookieConsent.objects.get().action == CookieConsent.Action.REJECT_ALL
