"""Factories for the cookie catalogue and log. Kept beside the cookie tests: tests/factories.py is shared."""

import factory

from apps.cookies.models import CookieCategory, CookieConsent, CookieDeclaration


class CookieCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CookieCategory
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"category-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.title())
    description = factory.LazyAttribute(lambda o: f"What {o.slug} cookies do.")
    order = factory.Sequence(int)


class CookieDeclarationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CookieDeclaration

    name = factory.Sequence(lambda n: f"_cookie_{n}")
    provider = "This site"
    category = factory.SubFactory(CookieCategoryFactory)
    purpose = "Counts something."
    duration = "30 days"
    party = CookieDeclaration.Party.FIRST


class CookieConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CookieConsent

    action = CookieConsent.Action.REJECT_ALL
    choices = factory.LazyFunction(lambda: {"necessary": True, "analytics": False, "marketing": False})
    declaration_version = "0123456789abcdef"
