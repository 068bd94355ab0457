from django.core.checks import Tags, Warning, register
from django.db import DatabaseError

from .selectors import form_missing

FORMS = ["apply", "contact"]


@register(Tags.database)
def check_forms_open(app_configs, databases=None, **kwargs) -> list[Warning]:
    """Run by `migrate` and `check --database default`: says which public forms stay closed and why."""
    if not databases:
        return []
    try:
        missing = {kind: form_missing(kind) for kind in FORMS}
    except DatabaseError:  # not migrated yet
        return []
    return [
        Warning(f"The {kind} form is closed (503 'not open yet'): it needs {', '.join(str(m) for m in gaps)}.",
                hint="Edit a copy of deploy/site.example.toml and run "
                     "`python manage.py setup_site --from FILE`.", id="consent.W001")
        for kind, gaps in missing.items() if gaps
    ]
