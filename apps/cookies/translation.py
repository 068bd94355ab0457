"""The cookie texts visitors read, in every language (django-modeltranslation): the banner and /cookies/."""

from modeltranslation.translator import TranslationOptions, register

from .models import CookieCategory, CookieDeclaration


@register(CookieCategory)
class CookieCategoryTranslation(TranslationOptions):
    fields = ("name", "description")


@register(CookieDeclaration)
class CookieDeclarationTranslation(TranslationOptions):
    fields = ("provider", "purpose", "duration")
