"""The form renderer: each form and widget template looked up once per process, not once per widget.

Django's default renderer asks its template engine for `django/forms/widgets/input.html` (and the
field, label and error templates) every time a widget renders: a form of twenty fields makes some
sixty lookups per page, each through the loaders' cache. Production keeps the Template objects here,
keyed by name; with DEBUG on, every lookup goes to the engine as before, so edited templates show.
"""

from typing import Any

from django.conf import settings
from django.forms.renderers import DjangoTemplates


class CachedTemplatesRenderer(DjangoTemplates):
    def __init__(self) -> None:
        super().__init__()
        self._templates: dict[str, Any] = {}

    def get_template(self, template_name: str) -> Any:
        if settings.DEBUG:
            return super().get_template(template_name)
        template = self._templates.get(template_name)
        if template is None:
            template = self._templates[template_name] = super().get_template(template_name)
        return template
