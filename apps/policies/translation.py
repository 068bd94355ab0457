"""The policy's texts in every language (django-modeltranslation). Frozen per language when published."""

from modeltranslation.translator import TranslationOptions, register

from .models import PolicyDisclosure, PolicyVersion


@register(PolicyVersion)
class PolicyVersionTranslation(TranslationOptions):
    fields = ("title", "summary", "body")


@register(PolicyDisclosure)
class PolicyDisclosureTranslation(TranslationOptions):
    fields = ("recipient", "recipient_category", "purpose")
