"""The admin walked in Chromium for each role: every changelist, add, change and delete page of every model
the admin site registers, and every page the site and its model admins add to Django's (found from the
registry and their URL patterns, so a new screen is covered without editing this test), is opened.

Each page the role may use is checked as a person would meet it: no 500, valid HTML (the Nu Html Checker,
as for the public pages), axe WCAG 2.2 AA, nothing wider than a 1280 px screen, no Content Security Policy
error or missing file. Each form is sent once with invalid data (required fields emptied: it answers with
its errors and writes nothing) and once with valid data (it is accepted); each action the role sees is run
on a row (its confirmation page submitted too) and each delete page confirmed, at the end. A page the role
may not use answers 403 (or sends them home) to a GET and to a POST, and writes nothing.

Run with -s to see what each role covers."""

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib import admin
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import URLPattern, reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from apps.audit.models import AuditEvent
from apps.audit.services import Actor
from apps.consent.selectors import purposes_for
from apps.staff.services import breach_record, rights_request_record
from apps.subjects import services
from apps.subjects.models import DataSubject, Enquiry
from tests.factories import PDF_BYTES, EngagementFactory, SubjectFactory, VacancyFactory
from tests.pages import WCAG, vnu_command
from tests.policies.helpers import BACKGROUND, HIRING, draft
from tests.staff.helpers import current_code

pytestmark = pytest.mark.real_services
PASSWORD = "a long staff password 42"
ROLES = ["superuser", "privacy officer", "recruiter", "support"]
WIDTH = 1280
SYSTEM = Actor.system("test")
STANDARD = {"changelist", "add", "change", "delete", "history", "autocomplete"}
# Django's own pages of the site (the sign-in pages have their own tests; the home and app pages are added).
DJANGO = {"index", "login", "logout", "password_change", "password_change_done", "autocomplete", "jsi18n",
          "view_on_site", "app_list", "two_factor"}
# The site's own pages that name a row: which model's rows fill them in.
SITE_ROWS = {"enquiries": Enquiry, "people": DataSubject}

# Values a generic filler cannot guess, by the field's name (everything else required gets a value by its type).
VALID = {
    "slug": "walk-test",
    "key": "walk-test",  # and "subject": a person's id, filled in when the people exist
    "username": "walk-test",
    "password1": PASSWORD,
    "password2": PASSWORD,
    "collection_points": '["apply-form"]',
}
# And the values of the site's own forms, by page (filled in when the people exist: the person's id).
PAGE_VALID = {
    "/admin/people/add/": {"full_name": "Walk Test", "kind": "apply", "consented_at": "2026-12-01 10:00"},
    "/admin/policies/disclosure/add/": {"legal_basis": "legal-obligation", "reference": "Walk Act s.1",
                                        "recipient": "The walk's auditor", "data_categories": ["identity"]},
}


def _seed() -> None:
    subject = SubjectFactory()
    EngagementFactory(subject=subject, reference="REQ-WALK")
    services.engagement_open(subject=subject, actor=SYSTEM, service="enquiry")
    services.enquiry_add(subject=subject, actor=SYSTEM, message="When is the interview?")
    services.document_add(subject=subject, actor=SYSTEM, data=PDF_BYTES)
    vacancy = VacancyFactory()
    services.engagement_open(subject=SubjectFactory(), actor=SYSTEM, service="recruitment", vacancy=vacancy,
                             controller=vacancy.controller)
    draft(disclosures=[HIRING, BACKGROUND])
    breach_record(actor=SYSTEM, summary="A laptop was stolen", discovered_at=timezone.now(), people_affected=2)
    rights_request_record(actor=SYSTEM, kind="access", channel="email", received_at=timezone.now())


def _user(django_user_model, role: str):
    username = role.replace(" ", "-")
    if role == "superuser":
        user = django_user_model.objects.create_superuser(username, password=PASSWORD)
    else:
        user = django_user_model.objects.create_user(username, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
    device = TOTPDevice.objects.create(user=user, name="authenticator app", confirmed=True)
    return user, device


@dataclass
class Page:
    url: str
    kind: str  # changelist, add, change, delete, or "extra" (a page the site or a model admin adds)
    model_admin: admin.ModelAdmin | None = None
    row: object = None

    @property
    def key(self) -> str:
        """The screen, whichever row it shows."""
        if self.kind in ("app", "delete"):
            return self.kind  # one template, whichever model
        pk = getattr(self.row, "pk", None)
        return f"{self.kind} {self.url if pk is None else self.url.replace(str(pk), '<row>')}"


def _extra_pages(patterns: list, model) -> list[Page]:
    """The named pages a model admin or the site adds, their row argument filled in from `model`'s rows."""
    pages = []
    for pattern in patterns:
        if not isinstance(pattern, URLPattern) or not pattern.name:
            continue
        route = str(pattern.pattern)
        django_own = pattern.name.rsplit("_", 1)[-1] in STANDARD if model is not None else pattern.name in DJANGO
        if django_own:
            continue
        rows_of = model if model is not None else SITE_ROWS.get(route.split("/", 1)[0])
        if "<" not in route:
            pages.append(Page(reverse(f"admin:{pattern.name}"), "extra"))
        elif rows_of is not None:
            for row in rows_of._default_manager.order_by("pk")[:1]:
                pages.append(Page(reverse(f"admin:{pattern.name}", args=[row.pk]), "extra", row=row))
    return pages


def _pages() -> list[Page]:
    """Every page the registry offers, for a few rows of each model, and the pages added to it."""
    pages = []
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append(Page(reverse(f"{info}_changelist"), "changelist", model_admin))
        pages.append(Page(reverse(f"{info}_add"), "add", model_admin))
        for row in model._default_manager.order_by("pk")[:2]:
            pages.append(Page(reverse(f"{info}_change", args=[row.pk]), "change", model_admin, row))
            pages.append(Page(reverse(f"{info}_delete", args=[row.pk]), "delete", model_admin, row))
        pages += _extra_pages(model_admin.get_urls(), model)
    apps = sorted({model._meta.app_label for model in admin.site._registry})
    return [*pages, *(Page(reverse("admin:app_list", args=[app]), "app", row=app) for app in apps),
            *_extra_pages(admin.site.get_urls(), None)]


def _may(p: Page, user) -> bool | None:
    """What the admin itself says this user may do here (roles and each screen's own rules); None: the page
    decides (a page the site adds)."""
    request = RequestFactory().get("/")
    request.user = user
    if p.kind == "app":
        return bool(admin.site.get_app_list(request, p.row))
    if p.model_admin is None or p.kind == "extra":
        return None
    if p.kind == "add":
        return p.model_admin.has_add_permission(request)
    if p.kind == "delete":
        return p.model_admin.has_delete_permission(request, p.row)
    return p.model_admin.has_view_or_change_permission(request, p.row)


def _writes() -> tuple[int, ...]:
    return (AuditEvent.objects.count(), *(m._default_manager.count() for m in admin.site._registry))


# In the page: give each field `valid` names its value (a list: the boxes to tick), and every other empty required
# field of the main form (not the inlines) a plausible value by its type.
FILL = """([valid, today]) => {
  const form = document.querySelector('#content form[method=post]');
  if (!form) return 0;
  const required = el => el.required || form.querySelector(`label.required[for="${el.id}"]`)
    || el.closest('.form-row')?.querySelector('label.required, legend.required');
  let filled = 0;
  for (const el of form.querySelectorAll('input, textarea, select')) {
    if (el.closest('.inline-group') || el.disabled || el.readOnly
        || ['hidden', 'file', 'submit'].includes(el.type)) continue;
    const name = el.name.replace(/_(en|sw)$/, '');
    if (el.type === 'checkbox' || el.type === 'radio') {
      if (Array.isArray(valid[name])) { el.checked = valid[name].includes(el.value); filled++; }
      else if (required(el) && !form.querySelector(`[name="${el.name}"]:checked`)) { el.checked = true; filled++; }
      continue;
    }
    if (el.tagName === 'SELECT') {
      if (name in valid) { el.value = valid[name]; filled++; }
      else if (!el.value || el.multiple && !el.selectedOptions.length) {
        const option = [...el.options].find(o => o.value);
        if (option) { option.selected = true; filled++; }
      }
      continue;
    }
    if (name in valid) { el.value = valid[name]; filled++; continue; }
    if (el.value || !required(el)) continue;
    el.value = el.classList.contains('vDateField') ? today : el.classList.contains('vTimeField') ? '10:00'
      : el.type === 'email' ? 'walk@example.org' : el.type === 'url' ? 'https://example.org/walk'
      : el.type === 'number' || el.classList.contains('vIntegerField') ? '1'
      : el.type === 'tel' ? '+254712345678' : el.tagName === 'TEXTAREA' ? 'Written by the admin walk.'
      : 'Walk test';
    filled++;
  }
  return filled;
}"""

# In the page: empty every required text field of the main form; how many were emptied.
EMPTY = """() => {
  let emptied = 0;
  for (const label of document.querySelectorAll('#content form[method=post] label.required')) {
    if (label.closest('.inline-group')) continue;
    const el = document.getElementById(label.htmlFor);
    if (el && !el.readOnly && !el.disabled && (el.tagName === 'TEXTAREA' || ['text', 'email', 'url', 'number']
        .includes(el.type)) && el.value) { el.value = ''; emptied++; }
  }
  return emptied;
}"""

SUBMIT = "#content form[method=post] [type=submit]"
AXED: set[str] = set()  # the screens axe has checked in this run
SAVE = "#content form[method=post] [type=submit][name=_save]"  # a change form's own button, not a box beside it


@dataclass
class Walk:
    page: object
    role: str
    problems: list = field(default_factory=list)
    html: dict = field(default_factory=dict)  # name -> the HTML served
    opened: int = 0
    refused: int = 0
    forms_valid: int = 0
    forms_invalid: int = 0
    actions: int = 0
    deleted: int = 0
    missing: list = field(default_factory=list)
    sent: set = field(default_factory=set)

    def problem(self, url: str, what) -> None:
        self.problems.append((url, what))

    def check(self, url: str, body: str | None, key: str) -> None:
        """The page now shown: its HTML kept for the checker, its width, console, missing files, and axe once
        per screen (`key`: the same screen for another row is the same template)."""
        if body is not None:
            self.html[f"{url} #{len(self.html)}"] = body
        width = self.page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            self.problem(url, f"{width} px wide")
        # A 404 is reported with its address from the responses seen; Chromium's own favicon fetches are not
        # among them, and their console line ("Failed to load resource") names no address: left out here.
        errors = {e for e in self.page.console_errors if "status of 404" not in e}
        if errors:
            self.problem(url, "; ".join(sorted(errors))[:300])
        self.problems += [(url, f"missing {m}") for m in self.missing]
        if key in AXED:  # the same screen for another row, or for another role: axe has seen its template
            return
        AXED.add(key)
        result = Axe().run(self.page, options=WCAG)
        for violation in result.response["violations"]:
            self.problem(url, f"axe {violation['id']}: {[n['target'] for n in violation['nodes']][:3]}")

    def goto(self, url: str):
        self.page.console_errors.clear()
        self.missing.clear()
        response = self.page.goto(url)
        self.opened += 1
        return response

    def submit(self, url: str, selector: str = SUBMIT):
        """Click the main form's button; the POST's answer (None: no form here)."""
        button = self.page.locator(selector)
        if button.count() == 0:
            return None
        self.page.console_errors.clear()
        self.missing.clear()
        try:
            with self.page.expect_response(lambda r: r.request.method == "POST", timeout=10_000) as answer:
                button.first.click()
        except PlaywrightTimeout:
            self.problem(url, "the form sent nothing (a button that does not submit)")
            return None
        self.page.wait_for_load_state()
        response = answer.value
        if response.status >= 500:
            self.problem(url, f"form answered {response.status}")
        return response

    def refused_page(self, p: Page, status: int, before: tuple) -> None:
        """A page this role may not use: refused to a GET and to a POST, nothing written."""
        self.refused += 1
        sent_home = status == 200 and self.page.url.endswith("/admin/")
        if status != 403 and not (status == 404 and p.kind == "app") and not sent_home:  # refused, or sent home
            self.problem(p.url, f"{status}: open to {self.role}")
        posted = self._post(p.url)
        refused = (403, 404) if p.kind == "app" else (403,)
        if not (posted.status in refused or posted.status == 302 and posted.headers["location"].endswith("/admin/")):
            self.problem(p.url, f"a POST answered {posted.status}: open to {self.role}")
        if _writes() != before:
            self.problem(p.url, "a refused page wrote something")

    def posted(self, p: Page, before: tuple) -> None:
        """A page that refused a GET, sent a POST with nothing in it: refused again and nothing written, or
        answered (with its message) as it answers a person who sent its form empty."""
        answer = self._post(p.url)
        if answer.status == 403:
            self.refused += 1
            if _writes() != before:
                self.problem(p.url, "a refused page wrote something")
        elif answer.status >= 400:
            self.problem(p.url, f"a POST answered {answer.status}")
        else:
            self.forms_invalid += 1

    def _post(self, url: str):
        token = next(c["value"] for c in self.page.context.cookies() if c["name"] == "csrftoken")
        return self.page.request.post(url, form={"csrfmiddlewaretoken": token, "post": "yes"},
                                      headers={"X-CSRFToken": token}, max_redirects=0)

    def form(self, p: Page, valid: dict) -> None:
        """Sent once with invalid data (errors shown, nothing written), then once with valid data (accepted).
        A page the site adds is sent once, as filled in (its buttons are its actions)."""
        if self.page.locator(SAVE if p.kind == "change" else SUBMIT).count() == 0 or p.key in self.sent:
            return  # another row of the same screen: sent already
        self.sent.add(p.key)
        before = _writes()
        emptied = 0 if p.kind == "extra" else self.page.evaluate(EMPTY) if p.kind == "change" else 1
        if emptied:
            answer = self.submit(p.url, SAVE if p.kind == "change" else SUBMIT)
            if answer is None:
                return
            self.forms_invalid += 1
            if answer.status == 200:
                if not self.page.locator(".errornote, .errorlist").count():
                    self.problem(p.url, "invalid data: no error shown")
                self.check(p.url + " (invalid)", answer.text(), f"{p.key} invalid")
            if _writes() != before:
                self.problem(p.url, "invalid data wrote something")
            self.goto(p.url)
        self.page.evaluate(FILL, [valid, timezone.localdate().isoformat()])
        answer = self.submit(p.url, SAVE if p.kind == "change" else SUBMIT)
        if answer is None:
            return
        errors = self.page.locator(".errornote, .errorlist li").all_inner_texts()
        if answer.status == 200 and errors:
            rows = self.page.locator(".form-row.errors").evaluate_all("rs => rs.map(r => r.className)")
            self.problem(p.url, f"valid data refused: {errors} {rows}")
        elif answer.status < 400:
            self.forms_valid += 1
            if answer.status == 200:  # a page of its own (a token shown once, a code)
                self.check(p.url + " (sent)", answer.text(), f"{p.key} sent")

    def run_actions(self, p: Page, own: set[str]) -> None:
        """Each action this role sees on the changelist, run on the first row (not the walker's own account or
        device: the walk goes on signed in); its confirmation page sent."""
        self.goto(p.url)
        names = [v for v in self.page.locator("select[name=action] option").evaluate_all(
            "os => os.map(o => o.value)") if v]
        for name in names:
            self.goto(p.url)
            rows = [r for r in self.page.locator("input.action-select").all() if r.get_attribute("value") not in own]
            if not rows:
                return
            rows[0].check()
            self.page.locator("select[name=action]").select_option(name)
            answer = self.submit(f"{p.url} action {name}", "button[name=index]")
            self.actions += 1
            if answer is not None and answer.status == 200 and self.page.locator(SUBMIT).count():
                self.check(f"{p.url} action {name}", answer.text(), f"{p.key} {name}")
                self.submit(f"{p.url} action {name} confirmed")

    def validate_html(self, tmp_path: Path) -> None:
        files = {}
        for n, (name, body) in enumerate(self.html.items()):
            path = tmp_path / f"{self.role.replace(' ', '-')}-{n}.html"
            path.write_text(body)
            files[path.as_uri()] = name
        result = subprocess.run([*vnu_command(), "--format", "json", "--exit-zero-always", "--stdout", *map(str, sorted(
            tmp_path.glob("*.html")))], capture_output=True, text=True, timeout=600, check=True)
        for m in json.loads(result.stdout)["messages"]:
            if m["type"] in ("error", "non-document-error"):
                self.problem(files.get(m.get("url"), m.get("url")), f"HTML: {m['message']} ({m.get('extract')})")


@pytest.mark.parametrize("role", ROLES)
def test_the_admin_walked_for_each_role(page, live_server, staff_roles, django_user_model, demo_purposes, role,
                                        tmp_path):
    _seed()
    user, device = _user(django_user_model, role)
    page.set_viewport_size({"width": WIDTH, "height": 900})
    page.goto("/admin/login/?next=/admin/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app (or a backup code)").fill(current_code(device))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/admin/")

    person = str(DataSubject.objects.order_by("pk").last().pk)
    valid = {**VALID, "subject": person, "people": person,
             "purposes": [str(purpose.pk) for purpose in purposes_for("apply")]}
    walk = Walk(page, role)
    page.on("response", lambda r: (r.status == 404 or r.status >= 500) and walk.missing.append(f"{r.url} ({r.status})"))
    pages = [Page("/admin/", "extra"), *_pages()]
    for p in pages:
        before = _writes()
        response = walk.goto(p.url)
        status, allowed = response.status, _may(p, user)
        if status >= 500:
            walk.problem(p.url, status)
        elif allowed is False:
            walk.refused_page(p, status, before)
        elif allowed is None and status in (403, 405):
            walk.posted(p, before)  # a page the site adds that only takes a POST, or one this role may not use
        elif status != 200:
            walk.problem(p.url, status)
        else:
            walk.check(p.url, response.text(), p.key)
            if p.kind in ("add", "change") or p.kind == "extra" and page.url.endswith(p.url):
                walk.form(p, {} if p.kind == "change" else {**valid, **PAGE_VALID.get(p.url, {})})
    for p in pages:  # what changes the rows others' pages show: at the end
        if p.kind == "changelist" and _may(p, user):
            walk.run_actions(p, {str(user.pk), str(device.pk)})
    for p in pages:
        if p.kind == "delete" and p.row not in (user, device) and _may(p, user) and walk.goto(p.url).status == 200:
            answer = walk.submit(p.url)
            walk.deleted += answer is not None and answer.status < 400
    walk.validate_html(tmp_path)
    print(f"\n{role}: {walk.opened} pages opened ({walk.refused} refused), forms sent {walk.forms_valid} valid "
          f"and {walk.forms_invalid} invalid, {walk.actions} actions run, {walk.deleted} rows deleted; "
          f"{len(walk.html)} pages checked as HTML, {len(AXED)} screens by axe in this run; problems:")
    for problem in walk.problems:
        print("  ", *problem)
    assert walk.problems == []
