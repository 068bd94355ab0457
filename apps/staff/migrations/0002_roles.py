"""The staff roles as groups with exactly their permissions (apps/staff/roles.py).

Permissions are created after migrations run, so this creates them first. When a later migration
adds models a role needs, `manage.py staff_roles` brings the groups up to date."""

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
        ("staff", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("audit", "0002_append_only_trigger"),
        ("vault", "0001_initial"),
        ("subjects", "0005_reveal"),
        ("consent", "0001_initial"),
        ("cookies", "0001_initial"),
        ("policies", "0001_initial"),
        ("notifications", "0001_initial"),
    ]

    operations = [migrations.RunPython(make_roles, migrations.RunPython.noop)]
