"""On a phone: no page scrolls sideways at 320 px or 360 px (Chromium), and wide tables scroll inside a
labelled region the keyboard can reach, with a visible cue, instead of widening the page."""

import pytest
from playwright.sync_api import expect

from tests.pages import site_pages

pytestmark = pytest.mark.django_db(transaction=True)

WIDTH_JS = "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
# What sticks out, to say why in the failure message.
CULPRITS_JS = """(w) => Array.from(document.querySelectorAll("body *"))
  .filter(e => e.getBoundingClientRect().right > w && !e.closest("[role=region][tabindex]"))
  .slice(-3).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : "")
                 + " " + Math.round(e.getBoundingClientRect().right))"""


def _wider_than(page, width: int) -> str | None:
    page.wait_for_load_state()
    actual = page.evaluate(WIDTH_JS)
    return f"{actual} px: {page.evaluate(CULPRITS_JS, width)}" if actual > width else None


@pytest.fixture
def pages(page, live_server, demo_purposes, mailoutbox, settings):
    settings.SITE_URL = live_server.url
    pages = site_pages(mailoutbox)
    # The browser continues the client's session: the private pages are stepped up.
    page.context.add_cookies([{"name": c.key, "value": c.value, "url": live_server.url}
                              for c in pages.client.cookies.values()])
    return pages


@pytest.mark.parametrize("width", [320, 360])
def test_no_page_scrolls_sideways_on_a_phone(page, pages, width):
    page.set_viewport_size({"width": width, "height": 640})
    too_wide = {}
    for path in pages.all:
        page.goto(path)
        if wide := _wider_than(page, width):
            too_wide[path] = wide
    # Forms sent with mistakes, as a visitor on a phone sends them.
    for path, button in [("/apply/", "Send my application"), ("/contact/", "Send my message"),
                         (pages.link + "correct/", "Save my changes"), ("/me/resend/", "Send me a new link")]:
        page.goto(path)
        for field in page.locator("main input[type=text], main input[type=email], main textarea").all():
            field.fill("")
        page.get_by_role("button", name=button).click()
        page.get_by_role("alert").wait_for()
        if wide := _wider_than(page, width):
            too_wide[path + " (with errors)"] = wide
    page.goto("/verify/")
    page.get_by_label("Paste the receipt or certificate").fill(pages.certificate)
    page.get_by_role("button", name="Check it").click()
    page.get_by_role("heading", name="Valid deletion certificate").wait_for()
    if wide := _wider_than(page, width):
        too_wide["/verify/ (a result)"] = wide
    page.goto(pages.link + "delete/")
    page.get_by_role("button", name="Yes, delete everything").click()
    page.get_by_role("heading", name="Your data is deleted").wait_for()
    if wide := _wider_than(page, width):
        too_wide["deleted"] = wide
    page.goto(pages.link)
    if wide := _wider_than(page, width):
        too_wide["link after deletion"] = wide
    # The page a form waiting for its emailed code leads to, in the browser that sent it.
    page.context.add_cookies([{"name": c.key, "value": c.value, "url": page.url}
                              for c in pages.held_client.cookies.values()])
    for path in pages.held:
        page.goto(path)
        if wide := _wider_than(page, width):
            too_wide[path] = wide
    assert too_wide == {}, f"pages wider than {width} px: {too_wide}"


def test_a_wide_table_scrolls_inside_a_labelled_region_with_a_visible_cue(page, pages):
    page.set_viewport_size({"width": 320, "height": 640})
    for path, name in [("/privacy/", "What we collect, why, for how long, and who receives it")]:
        page.goto(path)
        region = page.get_by_role("region", name=name)
        assert region.get_attribute("tabindex") == "0"
        assert region.evaluate("r => r.scrollWidth > r.clientWidth"), "the table scrolls inside its region"
        expect(page.get_by_text("Scroll the table sideways to see every column.").first).to_be_visible()
        region.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function("r => r.scrollLeft > 0", arg=region.element_handle())
    page.set_viewport_size({"width": 1024, "height": 768})
    page.goto("/privacy/")
    expect(page.get_by_text("Scroll the table sideways to see every column.")).to_be_hidden()
