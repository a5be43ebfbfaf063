"""The three staff roles, as groups with their permissions.

편집자 (editor) enters plans and services of the municipalities assigned to them; 검토자
(reviewer) also publishes, works on every municipality and curates the duplication clusters;
관리자 (administrator) may do everything in the catalog and the analysis, and manage users.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ_REFERENCE = [
    "catalog.view_municipality",
    "catalog.view_category",
    "catalog.view_subcategory",
    "catalog.view_tag",
]
EDIT_CATALOG = [
    "catalog.view_plan",
    "catalog.add_plan",
    "catalog.change_plan",
    "catalog.view_service",
    "catalog.add_service",
    "catalog.change_service",
    "catalog.delete_service",
]
REVIEW = [
    "catalog.publish_service",
    "catalog.edit_all_municipalities",
    "catalog.delete_plan",
    "catalog.view_editorassignment",
    "analysis.view_duplicationrun",
    "analysis.view_ideacluster",
    "analysis.change_ideacluster",
    "analysis.view_clustermember",
    "analysis.add_clustermember",
    "analysis.change_clustermember",
    "analysis.delete_clustermember",
    "analysis.view_notsameidea",
    "analysis.add_notsameidea",
    "analysis.delete_notsameidea",
]
ROLES = {
    "편집자": READ_REFERENCE + EDIT_CATALOG,
    "검토자": READ_REFERENCE + EDIT_CATALOG + REVIEW,
    "관리자": None,  # every permission of catalog, analysis and auth
}
ADMINISTERED_APPS = ("catalog", "analysis", "auth")


def create_roles(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codes in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        if codes is None:
            permissions = Permission.objects.filter(content_type__app_label__in=ADMINISTERED_APPS)
        else:
            permissions = [_permission(Permission, code) for code in codes]
        group.permissions.set(permissions)


def _permission(Permission, dotted: str):
    app_label, codename = dotted.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0003_review_history_assignments"),
        ("analysis", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
