from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_plan_is_synthetic"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogRevision",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveBigIntegerField(default=0, verbose_name="번호")),
                ("changed_at", models.DateTimeField(auto_now=True, verbose_name="변경일시")),
            ],
            options={
                "verbose_name": "카탈로그 판",
                "verbose_name_plural": "카탈로그 판",
            },
        ),
        migrations.AddIndex(
            model_name="service",
            index=models.Index(
                condition=models.Q(("is_published", True)),
                fields=["name", "id"],
                name="service_published_name_idx",
            ),
        ),
    ]
