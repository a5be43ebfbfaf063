"""How far each idea has spread, stored on its cluster.

``IdeaCluster.municipality_count`` and ``service_count`` count the cluster's *published*
members and their municipalities. Every figure asks "which ideas are shared?"; with the
answer stored and indexed it is a range scan, where grouping every member on every request
took seconds at 100,000 services.

The counts are refreshed wherever they can change: a duplication run refreshes all of them;
curation in the admin refreshes the clusters it touches; saving or deleting a service and
saving a plan (publishing, moving to another municipality) refresh the cluster of the
services concerned, through the receivers below.
"""

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.db.models.signals import post_delete, post_save, pre_delete

from analysis.models import ClusterMember, IdeaCluster, NotSameIdea
from catalog import revision
from catalog.models import Plan, Service
from catalog.signals import services_bulk_deleted


def refresh(clusters: QuerySet | None = None) -> int:
    """Recount ``clusters`` (all when None) in one UPDATE; returns how many were updated."""
    published = (
        ClusterMember.objects.filter(cluster=OuterRef("pk"), service__is_published=True)
        .order_by()
        .values("cluster")
    )
    municipalities = published.annotate(
        n=Count("service__plan__municipality", distinct=True)
    ).values("n")
    services = published.annotate(n=Count("pk")).values("n")
    target = clusters if clusters is not None else IdeaCluster.objects.all()
    updated = target.update(
        municipality_count=Coalesce(Subquery(municipalities), 0),
        service_count=Coalesce(Subquery(services), 0),
    )
    if updated:
        revision.bump()
    return updated


def _clusters_of(services: QuerySet) -> QuerySet:
    return IdeaCluster.objects.filter(
        pk__in=ClusterMember.objects.filter(service__in=services).values("cluster_id")
    )


def _service_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        refresh(_clusters_of(Service.objects.filter(pk=instance.pk)))


def _service_deleting(sender, instance, **kwargs) -> None:
    # The membership is deleted with the service; remember the cluster to recount it after.
    instance._idea_cluster_ids = list(
        ClusterMember.objects.filter(service=instance).values_list("cluster_id", flat=True)
    )


def _service_deleted(sender, instance, **kwargs) -> None:
    cluster_ids = getattr(instance, "_idea_cluster_ids", [])
    if cluster_ids:
        refresh(IdeaCluster.objects.filter(pk__in=cluster_ids))


def _plan_saved(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        refresh(_clusters_of(Service.objects.filter(plan=instance)))


def _services_bulk_deleted(sender, services, **kwargs) -> None:
    """Remove the memberships and decisions of services about to be deleted in bulk, and
    clusters left empty; recount the rest."""
    service_ids = services.values("pk")
    members = ClusterMember.objects.filter(service_id__in=service_ids)
    touched = list(members.values_list("cluster_id", flat=True).distinct())
    members._raw_delete(members.db)
    decisions = NotSameIdea.objects.filter(
        Q(first_id__in=service_ids) | Q(second_id__in=service_ids)
    )
    decisions._raw_delete(decisions.db)
    IdeaCluster.objects.filter(members__isnull=True, is_confirmed=False).delete()
    refresh(IdeaCluster.objects.filter(pk__in=touched))


def connect() -> None:
    services_bulk_deleted.connect(_services_bulk_deleted, dispatch_uid="spread-bulk-deleted")
    post_save.connect(_service_saved, sender=Service, dispatch_uid="spread-service-saved")
    pre_delete.connect(_service_deleting, sender=Service, dispatch_uid="spread-service-deleting")
    post_delete.connect(_service_deleted, sender=Service, dispatch_uid="spread-service-deleted")
    post_save.connect(_plan_saved, sender=Plan, dispatch_uid="spread-plan-saved")
