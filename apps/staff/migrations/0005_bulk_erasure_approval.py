"""The privacy officer approves bulk erasures above STAFF_BULK_ERASURE_LIMIT (apps/staff/roles.py)."""

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
        ('staff', '0004_merge_20261128_2328'),
    ]

    operations = [
        migrations.AlterModelOptions(
            name='staffaction',
            options={'default_permissions': (), 'managed': False, 'permissions': [('view_dashboard', "Can see the privacy officer's dashboard"), ('send_private_link', 'Can send a person a fresh private link to the address on file'), ('answer_enquiry', 'Can answer an enquiry by email'), ('add_person', 'Can add a person who applied or asked by email or phone, with their consent'), ('restrict_processing', "Can restrict processing of a person's data and lift the restriction"), ('notify_breach', 'Can tell the people affected by a breach'), ('issue_enrolment_code', 'Can issue a staff member a one-time code to set up two-factor sign-in'), ('approve_bulk_erasure', "Can erase more people in one action than STAFF_BULK_ERASURE_LIMIT, and approve another staff member's action that does")]},
        ),
        migrations.RunPython(make_roles, migrations.RunPython.noop),
    ]
