"""Read paths of the catalog: every page and export starts from one of these."""

from django.db import connection, models
from django.db.models import Count, F, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast, Coalesce, NullIf
from django.db.models.lookups import Exact


class NaturalKeyQuerySet(models.QuerySet):
    """Finds a row by the fields of its natural key, so fixtures can name rows by code."""

    natural_key_fields: tuple[str, ...] = ()

    def get_by_natural_key(self, *values: str):
        return self.get(**dict(zip(self.natural_key_fields, values, strict=True)))


class MunicipalityQuerySet(NaturalKeyQuerySet):
    natural_key_fields = ("code",)

    def sidos(self):
        return self.filter(level="sido")

    def local(self):
        """시·군·구: the municipalities below a 시·도."""
        return self.exclude(level="sido")

    def with_service_counts(self):
        published = Q(plans__services__is_published=True)
        return self.annotate(
            plan_count=Count("plans", distinct=True),
            service_count=Count("plans__services", filter=published, distinct=True),
        )

    def planning(self, services: models.QuerySet):
        """The municipalities that plan any of ``services``, each with its 시·도 and
        ``service_count`` (how many of them it plans), in code order, in one query."""
        planned = Q(plans__services__in=services)
        return (
            self.filter(planned)
            .annotate(service_count=Count("plans__services", filter=planned))
            .select_related("parent")
            .order_by("code")
        )

    def for_directory(self):
        """Every municipality with its plan and published-service counts, in one query.

        Ordered by code, so each 시·도 (code ending in 000) comes right before its 시·군·구.
        """
        return self.with_service_counts().select_related("parent").order_by("code")


class CategoryQuerySet(NaturalKeyQuerySet):
    natural_key_fields = ("code",)

    def with_shares(self, services: models.QuerySet):
        """Each field with its count of ``services`` (``service_count``) and its share of
        them in percent (``share``).

        ``services`` is any Service queryset (all published, one city's, a filtered browse);
        counts and the total are scalar subqueries, so this stays one query.
        """
        return self.annotate(**_share_annotations(services, "service_count", "share"))

    def with_shares_as(self, name: str, services: models.QuerySet):
        """Like ``with_shares``, but annotates ``<name>_count`` and ``<name>_share``.

        Chain it to put several scopes (one city and the whole country, or each compared city)
        side by side in the same single query.
        """
        return self.annotate(**_share_annotations(services, f"{name}_count", f"{name}_share"))


def _share_annotations(services: models.QuerySet, count_name: str, share_name: str) -> dict:
    scope = services.order_by()
    per_category = (
        scope.filter(category=OuterRef("pk")).values("category").annotate(n=Count("pk")).values("n")
    )
    total = scope.annotate(all=Value(1)).values("all").annotate(n=Count("pk")).values("n")
    count = Coalesce(Subquery(per_category), 0)
    share = Cast(count, models.FloatField()) * 100.0 / NullIf(Subquery(total), 0)
    return {count_name: count, share_name: Coalesce(share, 0.0)}


class SubCategoryQuerySet(NaturalKeyQuerySet):
    natural_key_fields = ("code",)


class TagQuerySet(NaturalKeyQuerySet):
    natural_key_fields = ("slug",)


def other_municipality_count(service: str = ""):
    """How many other municipalities plan the same idea as the service at ``service`` (a
    lookup path such as ``"services__"``; empty for the queried service itself).

    ``idea`` is the service's membership of an idea cluster (``analysis.ClusterMember``);
    the cluster's ``municipality_count`` counts the municipalities of its published members,
    kept current by ``analysis.spread``. A published member's own municipality is one of
    them; a service in no cluster is planned nowhere else.
    """
    return Coalesce(F(f"{service}idea__cluster__municipality_count") - 1, 0)


class PlanQuerySet(NaturalKeyQuerySet):
    natural_key_fields = ("municipality__code", "title")

    def for_page(self):
        """Each plan with its municipality and, in the same query, its published services:
        ``service_count``, ``original_count`` (those whose idea no other municipality plans)
        and ``original_share`` (percent of ``service_count``)."""
        published = Q(services__is_published=True)
        original = published & Q(Exact(other_municipality_count("services__"), 0))
        counted = self.select_related("municipality__parent").annotate(
            service_count=Count("services", filter=published),
            original_count=Count("services", filter=original),
        )
        share = (
            Cast(F("original_count"), models.FloatField()) * 100.0 / NullIf(F("service_count"), 0)
        )
        return counted.annotate(original_share=Coalesce(share, 0.0))


class ServiceQuerySet(NaturalKeyQuerySet):
    natural_key_fields = ("plan__municipality__code", "plan__title", "name")

    def published(self):
        return self.filter(is_published=True)

    def for_list(self):
        """Everything a list row shows, in a fixed number of queries."""
        return self.select_related(
            "plan__municipality__parent", "category", "subcategory"
        ).prefetch_related("tags")

    def by_plan_year(self):
        """Services by their plan's first year (plans without one last), then municipality
        and name, each with its plan, municipality, 시·도 and field."""
        return self.select_related("plan__municipality__parent", "category").order_by(
            F("plan__start_year").asc(nulls_last=True), "plan__municipality__code", "name", "id"
        )

    def counts_by_plan_year(self):
        """(plan's first year, number of services) rows in year order, ``None`` last."""
        return (
            self.order_by()
            .values_list("plan__start_year")
            .annotate(service_count=Count("pk"))
            .order_by(F("plan__start_year").asc(nulls_last=True))
        )

    def counts_by_sido(self):
        """Per 시·도 (by code; a 시·도's own plans count for it): ``municipality_count`` and
        ``service_count``, most municipalities first."""
        return (
            self.order_by()
            .values(
                sido_code=Coalesce("plan__municipality__parent__code", "plan__municipality__code")
            )
            .annotate(
                municipality_count=Count("plan__municipality", distinct=True),
                service_count=Count("pk"),
            )
            .order_by("-municipality_count", "-service_count", "sido_code")
        )

    def by_field_with_spread(self):
        """Services in the fields' order, then by name, each with its field and
        ``other_municipality_count``, in one query."""
        return (
            self.select_related("category")
            # A field's heading needs its names, address and place, not its definition.
            .only(
                "id",
                "name",
                "status",
                "category__code",
                "category__name_ko",
                "category__name_en",
                "category__order",
            )
            .annotate(other_municipality_count=other_municipality_count())
            .order_by("category__order", "name", "id")
        )


def plain_rows(queryset) -> list[tuple]:
    """The rows of ``queryset`` as plain tuples, without building a Python object per row (for
    reading a whole catalog into an index)."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
