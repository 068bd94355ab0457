"""What a visitor sees on a 360 x 640 Android phone (Chromium): the cookie banner a bottom sheet that leaves two
thirds of the first screen to the page, with Accept all and Reject all alike; the consent boxes one size; the
receipts a stacked list whose Download links are on screen; the jobs first on the home page."""

from io import StringIO

import pytest
from playwright.sync_api import expect

from apps.cookies.seed import seed_demo as seed_cookies
from tests.pages import site_pages

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = {"width": 360, "height": 640}
THIRD = PHONE["height"] // 3  # 213 px
WIDTH_JS = "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"


def _box(locator) -> dict:
    box = locator.bounding_box()
    assert box is not None, f"{locator} is not shown"
    return box


@pytest.fixture
def phone(page):
    page.set_viewport_size(PHONE)
    return page


@pytest.mark.parametrize("language", ["en", "sw"])
def test_the_cookie_banner_is_a_bottom_sheet_on_at_most_a_third_of_the_first_screen(phone, demo_purposes,
                                                                                     language):
    seed_cookies(StringIO())
    phone.goto("/")
    if language == "sw":
        phone.get_by_role("button", name="Kiswahili").first.click()
        expect(phone.locator("html")).to_have_attribute("lang", "sw")
    banner = phone.locator("#cookie-banner")
    box = _box(banner)
    print(f"banner at 360x640 ({language}): {box['height']:.0f} px high, top at {box['y']:.0f}")
    assert box["height"] <= THIRD, f"the banner is {box['height']:.0f} px high, more than a third of 640"
    assert box["y"] + box["height"] == pytest.approx(PHONE["height"], abs=1)  # at the bottom of the screen
    assert banner.evaluate("b => b.scrollHeight <= b.clientHeight"), "part of the banner's text is scrolled away"
    # Accept and refuse equally prominent, both on the first screen without scrolling.
    accept, reject = banner.locator("button[value=accept_all]"), banner.locator("button[value=reject_all]")
    a, r = _box(accept), _box(reject)
    assert (round(a["width"]), round(a["height"])) == (round(r["width"]), round(r["height"]))
    assert a["y"] == r["y"] and a["y"] + a["height"] <= PHONE["height"]
    styles = [accept.evaluate("b => { const s = getComputedStyle(b); return [s.color, s.backgroundColor, "
                              "s.fontWeight, s.borderColor]; }"),
              reject.evaluate("b => { const s = getComputedStyle(b); return [s.color, s.backgroundColor, "
                              "s.fontWeight, s.borderColor]; }")]
    assert styles[0] == styles[1]
    assert phone.evaluate(WIDTH_JS) <= PHONE["width"]
    # The page's own first screen: its h1 is not behind the banner.
    h1 = _box(phone.locator("h1"))
    assert h1["y"] + h1["height"] <= box["y"]
    # A link reached by keyboard is never left behind the sheet (WCAG 2.4.11): one lying where the sheet is, when
    # the link before it has focus, comes clear of it once Tab moves focus there.
    links = phone.locator("main a")
    before, target = links.nth(1), links.nth(2)
    phone.evaluate("([t, y]) => window.scrollBy(0, t.getBoundingClientRect().top - y)",
                   [target.element_handle(), box["y"] + 10])
    before.evaluate("a => a.focus({preventScroll: true})")
    assert _box(target)["y"] > box["y"]  # behind the sheet before it has focus
    phone.keyboard.press("Tab")
    expect(target).to_be_focused()
    focused = _box(target)
    assert focused["y"] + focused["height"] <= _box(banner)["y"], "the focused link is behind the banner"
    # Choosing opens the categories; the choice made, the sheet is gone.
    banner.get_by_text("Choose" if language == "en" else "Chagua", exact=True).click()
    expect(banner.get_by_role("switch").nth(1)).to_be_in_viewport()
    reject.click()
    expect(banner).to_have_count(0)


def test_the_consent_boxes_are_one_fixed_size_whatever_their_words(phone, demo_purposes):
    for path in ["/apply/", "/contact/"]:
        phone.goto(path)
        boxes = phone.locator(".purposes input[type=checkbox]")
        assert boxes.count() >= 2
        sizes = {(round(b["width"]), round(b["height"])) for b in map(_box, boxes.all())}
        assert sizes == {(20, 20)}, f"{path}: the consent boxes measure {sizes}"  # 1.25rem, none shrunk
        assert phone.evaluate(WIDTH_JS) <= PHONE["width"]


@pytest.mark.parametrize("width", [320, 360])
def test_the_receipts_are_a_stacked_list_with_download_on_screen(page, live_server, demo_purposes, mailoutbox,
                                                                  settings, width):
    settings.SITE_URL = live_server.url
    pages = site_pages(mailoutbox)
    page.context.add_cookies([{"name": c.key, "value": c.value, "url": live_server.url}
                              for c in pages.client.cookies.values()])
    page.set_viewport_size({"width": width, "height": 640})
    page.goto(pages.link)
    receipts = page.get_by_role("table", name="Your consent receipts")
    downloads = receipts.get_by_role("link", name="Download")
    assert downloads.count() >= 3  # given, given, withdrawn
    for link in downloads.all():
        link.scroll_into_view_if_needed()
        box = _box(link)
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"a Download link is off-screen: {box}"
    widest = receipts.evaluate("t => Math.max(...Array.from(t.querySelectorAll('tbody *:not(.visually-hidden)'), "
                               "e => e.getBoundingClientRect().right))")
    assert widest <= width and page.evaluate(WIDTH_JS) <= width  # nothing sideways, on the page or in the list
    # Each value says what it is: the column's name is next to it.
    first = receipts.locator("tbody tr").first
    for name in ["When", "Purpose", "Action", "Policy version", "The words you were shown", "Signed receipt"]:
        expect(first).to_contain_text(name)
    expect(page.get_by_text("Scroll the table sideways to see every column.")).to_have_count(0)
    # On a wide screen it is a table again, one row a receipt.
    page.set_viewport_size({"width": 1024, "height": 768})
    heights = {round(_box(c)["y"]) for c in first.locator("td").all()}
    assert len(heights) == 1


def test_the_home_page_opens_with_the_jobs(phone, demo_purposes):
    seed_cookies(StringIO())  # the banner at the bottom too
    phone.goto("/")
    expect(phone.locator("h1")).to_have_text("Jobs open now")
    first_job = phone.locator(".vacancy-title a").first
    sheet = _box(phone.locator("#cookie-banner"))
    job = _box(first_job)
    assert job["y"] + job["height"] <= sheet["y"], "the first job is not on the first screen, above the banner"
    # What we do with personal data follows the jobs.
    headings = phone.locator("main h2").all_inner_texts()
    assert "What we do with your personal data" in headings
