from django.conf import settings
from django.db import migrations, models
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce


def count_spread(apps, schema_editor):
    """Fill the new counts for clusters stored before them (as analysis.spread.refresh)."""
    IdeaCluster = apps.get_model("analysis", "IdeaCluster")
    ClusterMember = apps.get_model("analysis", "ClusterMember")
    published = (
        ClusterMember.objects.filter(cluster=OuterRef("pk"), service__is_published=True)
        .order_by()
        .values("cluster")
    )
    IdeaCluster.objects.update(
        municipality_count=Coalesce(
            Subquery(
                published.annotate(
                    n=Count("service__plan__municipality", distinct=True)
                ).values("n")
            ),
            0,
        ),
        service_count=Coalesce(Subquery(published.annotate(n=Count("pk")).values("n")), 0),
    )


class Migration(migrations.Migration):

    dependencies = [
        ('analysis', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='ideacluster',
            name='municipality_count',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='공개 자치단체 수'),
        ),
        migrations.AddField(
            model_name='ideacluster',
            name='service_count',
            field=models.PositiveIntegerField(default=0, editable=False, verbose_name='공개 서비스 수'),
        ),
        migrations.AddIndex(
            model_name='ideacluster',
            index=models.Index(fields=['-municipality_count', '-service_count'], name='ideacluster_spread_idx'),
        ),
        migrations.RunPython(count_spread, migrations.RunPython.noop),
    ]
