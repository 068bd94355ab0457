"""The texts of a purpose that visitors read, in every language (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from .models import Purpose


@register(Purpose)
class PurposeTranslation(TranslationOptions):
    fields = ("name", "explanation", "recipients")
