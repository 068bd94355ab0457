"""The privacy officer issues and revokes client API tokens: bring the role groups up to date
(apps/staff/roles.py), creating the new permissions first as staff's 0002_roles does."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from apps.staff.roles import groups_apply


def update_roles(apps, schema_editor) -> None:
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    groups_apply(group_model=apps.get_model("auth", "Group"), permission_model=apps.get_model("auth", "Permission"),
                 strict=False)


class Migration(migrations.Migration):
    dependencies = [
        ("api", "0001_i9_initial"),
        ("staff", "0002_roles"),
    ]

    operations = [migrations.RunPython(update_roles, migrations.RunPython.noop)]
