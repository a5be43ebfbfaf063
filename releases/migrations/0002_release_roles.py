"""Administrators (관리자) make releases; reviewers (검토자) see the list in the admin.

The roles are created by catalog's 0004_staff_roles with the permissions that existed then;
this adds those of releases.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "관리자": ["add_release", "view_release", "change_release", "delete_release"],
    "검토자": ["view_release"],
}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("releases")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        permissions = Permission.objects.filter(
            content_type__app_label="releases", codename__in=codenames
        )
        for group in Group.objects.filter(name=name):
            group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        permissions = Permission.objects.filter(
            content_type__app_label="releases", codename__in=codenames
        )
        for group in Group.objects.filter(name=name):
            group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("releases", "0001_initial"),
        ("catalog", "0004_staff_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
