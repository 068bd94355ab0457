"""The texts of a vacancy that visitors read, in every language (django-modeltranslation)."""

from modeltranslation.translator import TranslationOptions, register

from .models import Vacancy


@register(Vacancy)
class VacancyTranslation(TranslationOptions):
    fields = ("title", "description", "location")
