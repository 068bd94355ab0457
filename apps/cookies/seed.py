"""Demo data: the four cookie categories and the cookies this site sets. Idempotent.

The texts are written here in English and marked for translation; the services store each in its
English and Swahili columns (django-modeltranslation), the Swahili taken from the catalogue. From then on
staff edit both languages in the admin and the pages show the visitor's language (English if empty).
"""

from typing import TextIO

from django.conf import settings
from django.utils.translation import gettext_noop

from .models import CookieDeclaration
from .services import cookie_category_ensure, cookie_declaration_ensure

SITE = gettext_noop("This site")

CATEGORIES = [
    {
        "slug": "necessary", "order": 0, "is_necessary": True, "name": gettext_noop("Necessary"),
        "description": gettext_noop("Keep the site working and secure: protect forms against forgery, keep staff "
                                    "signed in, remember your language and your cookie choices. They cannot be "
                                    "switched off."),
    },
    {
        "slug": "preferences", "order": 1, "name": gettext_noop("Preferences"),
        "description": gettext_noop("Remember choices you make so the site feels the same next time you visit."),
    },
    {
        "slug": "analytics", "order": 2, "off_under_gpc": True, "name": gettext_noop("Analytics"),
        "description": gettext_noop("Count visits and page views with our own script so we can see which pages help "
                          "people. Nothing is sent to another company."),
    },
    {
        "slug": "marketing", "order": 3, "off_under_gpc": True, "name": gettext_noop("Marketing"),
        "description": gettext_noop("Measure whether our job adverts reach people. Off unless you switch it on."),
    },
]


def _declarations() -> list[dict]:
    return [
        {"name": settings.CSRF_COOKIE_NAME, "category": "necessary", "duration": gettext_noop("1 year"),
         "purpose": gettext_noop("Protects the forms on this site against cross-site request forgery.")},
        {"name": settings.SESSION_COOKIE_NAME, "category": "necessary", "duration": gettext_noop("2 weeks"),
         "purpose": gettext_noop("Keeps staff signed in to the administration pages.")},
        {"name": settings.LANGUAGE_COOKIE_NAME, "category": "necessary",
         "duration": gettext_noop("Until the browser closes"),
         "purpose": gettext_noop("Remembers the language you chose with the language switch.")},
        {"name": settings.COOKIE_CONSENT_COOKIE_NAME, "category": "necessary",
         "duration": gettext_noop("12 months, or until this list changes"),
         "purpose": gettext_noop("Remembers your cookie choices (the categories you allowed, the date and the version "
                       "of this list) with a random id, so we do not ask on every page.")},
        {"name": settings.FORM_SENT_COOKIE_NAME, "category": "necessary",
         "duration": gettext_noop("Until the form you sent is confirmed, at most 7 days"),
         "purpose": gettext_noop("Remembers which form you have just sent, so that the next page can ask for its code "
                                 "and then show what we received. It holds no personal data.")},
        {"name": "_pp_analytics", "category": "analytics", "duration": gettext_noop("30 days"),
         "purpose": gettext_noop("Counts your page views for our own analytics script (demo).")},
        {"name": "_pp_marketing", "category": "marketing", "duration": gettext_noop("30 days"),
         "purpose": gettext_noop("Marks that our job adverts reached you (demo).")},
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
