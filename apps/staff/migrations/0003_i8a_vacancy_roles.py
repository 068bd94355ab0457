"""Recruiters publish and close vacancies; support sees them (apps/staff/roles.py)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from apps.staff.roles import groups_apply


def make_roles(apps, schema_editor) -> None:
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    groups_apply(group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission"),
                 strict=False)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0002_roles"),
        ("subjects", "0006_vacancies"),
    ]

    operations = [migrations.RunPython(make_roles, migrations.RunPython.noop)]
