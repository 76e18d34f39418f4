from django.db import migrations

# Copied here rather than imported, so the migration keeps working if the
# constants in schoolplan.roles and schoolplan.models change later.
ROLE_GROUPS = ["Lærer", "Skolekoordinator", "Ledelse"]
AREA_CODES = ["attendance", "learning", "social", "emotional", "health", "family"]


def create_roles_and_areas(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Area = apps.get_model("schoolplan", "Area")

    for name in ROLE_GROUPS:
        Group.objects.get_or_create(name=name)
    for position, code in enumerate(AREA_CODES):
        Area.objects.update_or_create(code=code, defaults={"position": position})


class Migration(migrations.Migration):
    dependencies = [
        ("schoolplan", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_roles_and_areas, migrations.RunPython.noop)]
