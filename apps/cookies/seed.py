"""Demo data: the four cookie categories and the cookies this site sets. Idempotent.

The texts are stored as written here and marked for translation: the templates show a seeded text
in the visitor's language when the catalogue has it, and a text staff wrote in the admin as written.
"""

from typing import TextIO

from django.conf import settings
from django.utils.translation import gettext_noop as N_

from .models import CookieDeclaration
from .services import cookie_category_ensure, cookie_declaration_ensure

SITE = N_("This site")

CATEGORIES = [
    {
        "slug": "necessary", "order": 0, "is_necessary": True, "name": N_("Necessary"),
        "description": N_("Keep the site working and secure: protect forms against forgery, keep staff signed "
                          "in, remember your language and your cookie choices. They cannot be switched off."),
    },
    {
        "slug": "preferences", "order": 1, "name": N_("Preferences"),
        "description": N_("Remember choices you make so the site feels the same next time you visit."),
    },
    {
        "slug": "analytics", "order": 2, "off_under_gpc": True, "name": N_("Analytics"),
        "description": N_("Count visits and page views with our own script so we can see which pages help "
                          "people. Nothing is sent to another company."),
    },
    {
        "slug": "marketing", "order": 3, "off_under_gpc": True, "name": N_("Marketing"),
        "description": N_("Measure whether our job adverts reach people. Off unless you switch it on."),
    },
]


def _declarations() -> list[dict]:
    return [
        {"name": settings.CSRF_COOKIE_NAME, "category": "necessary", "duration": N_("1 year"),
         "purpose": N_("Protects the forms on this site against cross-site request forgery.")},
        {"name": settings.SESSION_COOKIE_NAME, "category": "necessary", "duration": N_("2 weeks"),
         "purpose": N_("Keeps staff signed in to the administration pages.")},
        {"name": settings.LANGUAGE_COOKIE_NAME, "category": "necessary", "duration": N_("Until the browser closes"),
         "purpose": N_("Remembers the language you chose with the language switch.")},
        {"name": settings.COOKIE_CONSENT_COOKIE_NAME, "category": "necessary",
         "duration": N_("12 months, or until this list changes"),
         "purpose": N_("Remembers your cookie choices (the categories you allowed, the date and the version "
                       "of this list) with a random id, so we do not ask on every page.")},
        {"name": "_pp_analytics", "category": "analytics", "duration": N_("30 days"),
         "purpose": N_("Counts your page views for our own analytics script (demo).")},
        {"name": "_pp_marketing", "category": "marketing", "duration": N_("30 days"),
         "purpose": N_("Marks that our job adverts reached you (demo).")},
    ]


def seed_demo(stdout: TextIO) -> None:
    categories = {}
    for spec in CATEGORIES:
        category, created = cookie_category_ensure(**spec)
        categories[category.slug] = category
        stdout.write(f"cookie category {category.slug}: {'created' if created else 'present'}")
    for spec in _declarations():
        declaration, created = cookie_declaration_ensure(
            name=spec["name"], provider=SITE, category=categories[spec["category"]], purpose=spec["purpose"],
            duration=spec["duration"], party=CookieDeclaration.Party.FIRST,
        )
        stdout.write(f"cookie declaration {declaration.name}: {'created' if created else 'present'}")
