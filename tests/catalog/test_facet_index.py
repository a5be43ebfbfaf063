"""The facet index answers browsing without a search exactly as SQL does.

For random combinations of facet values, plans and years, on both databases: the index's total
equals ``filterset.qs.count()``, every facet count equals the SQL statement's and a direct count,
and every page lists the same services in the same order as the SQL ordering.
"""

import random

import pytest
from django.core.cache import cache
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import facet_index, revision
from catalog.facet_index import IndexedResults
from catalog.filters import SORTS, UNSEARCHED_SORTS, ServiceFilter
from catalog.models import Category, Municipality, Plan, PlanKind, Service, ServiceStatus, Tag
from tests.fuzz.profiles import FUZZ

pytestmark = pytest.mark.django_db

YEARS = [(None, None), (2019, 2023), (2021, None), (None, 2025), (2024, 2028)]
NAMES = ["스마트 가로등", "드론 순찰", "주차 공유", "AI 민원", "버스정보", "가로등", "Zebra"]


def build_varied_catalog(seed: int = 11) -> None:
    """Plans of every kind and period over a dozen municipalities; services of every field,
    sub-group and status, some unpublished, with zero to three tags."""
    rng = random.Random(seed)
    municipalities = list(Municipality.objects.local().order_by("code")[::20])
    categories = list(Category.objects.prefetch_related("subcategories"))
    tags = list(Tag.objects.all())
    for number, municipality in enumerate(municipalities):
        start, end = YEARS[number % len(YEARS)]
        plan = Plan.objects.create(
            municipality=municipality,
            title=f"계획 {number}",
            kind=PlanKind.values[number % len(PlanKind.values)],
            start_year=start,
            end_year=end,
        )
        for position in range(rng.randint(4, 12)):
            category = rng.choice(categories)
            subgroups = list(category.subcategories.all())
            service = Service.objects.create(
                plan=plan,
                name=f"{rng.choice(NAMES)} {position}",
                category=category,
                subcategory=rng.choice(subgroups) if subgroups and rng.random() < 0.7 else None,
                status=rng.choice(ServiceStatus.values),
                is_published=rng.random() < 0.85,
                source_page=str(position + 1),
            )
            service.tags.set(rng.sample(tags, rng.randint(0, 3)))


def option_values() -> dict[str, list[str]]:
    return {
        "category": list(Category.objects.values_list("code", flat=True)),
        "subcategory": ["bus", "parking", "nonexistent"],
        "sido": sorted({code[:2] for code in Municipality.objects.values_list("code", flat=True)}),
        "municipality": [
            *Municipality.objects.filter(plans__isnull=False).values_list("code", flat=True),
            "11110",
        ],
        "tag": list(Tag.objects.values_list("slug", flat=True)),
        "kind": PlanKind.values,
        "status": ServiceStatus.values,
    }


def selections(options: dict[str, list[str]], plan_ids: list[int]):
    facet_values = {
        facet: st.lists(st.sampled_from(values), max_size=3, unique=True)
        for facet, values in options.items()
    }
    years = st.one_of(st.none(), st.integers(2018, 2030))
    return st.fixed_dictionaries(
        {
            **facet_values,
            "plan": st.one_of(st.none(), st.sampled_from(plan_ids)),
            "year_from": years,
            "year_to": years,
            "sort": st.sampled_from(sorted(UNSEARCHED_SORTS)),
            "start": st.integers(0, 40),
        }
    )


def query_dict(selection: dict) -> QueryDict:
    data = QueryDict(mutable=True)
    for facet in ServiceFilter.FACETS:
        data.setlist(facet, selection[facet])
    for name in ("plan", "year_from", "year_to"):
        if selection[name] is not None:
            data[name] = str(selection[name])
    return data


def filterset_for(data: QueryDict) -> ServiceFilter:
    return ServiceFilter(data, queryset=Service.objects.published())


def direct_count(data: QueryDict, facet: str, value: str) -> int:
    """Services passing every filter but ``facet``'s own, and carrying ``value`` in it."""
    narrowed = data.copy()
    narrowed.setlist(facet, [value])
    return filterset_for(narrowed).qs.distinct().count()


@settings(FUZZ, suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=40)
@given(data=st.data())
def test_index_counts_and_pages_equal_sql_for_any_combination(data):
    # hypothesis runs every example inside this one test's transaction; build once.
    if not Plan.objects.exists():
        build_varied_catalog()
    index = facet_index.build(UNSEARCHED_SORTS)
    options = option_values()
    selection = data.draw(selections(options, list(Plan.objects.values_list("id", flat=True))))
    params = query_dict(selection)
    filterset = filterset_for(params)

    indexed, rows = filterset.indexed_counts(index)
    assert indexed == filterset.facet_counts(Service.objects.published())
    assert indexed.total == filterset.qs.distinct().count()

    facet = data.draw(st.sampled_from(ServiceFilter.FACETS))
    for value, count in indexed.options[facet].items():
        assert count == direct_count(filterset.data, facet, value), (facet, value)

    start = selection["start"]
    sort = selection["sort"]
    page = IndexedResults(index, rows, sort, Service.objects.published())[start : start + 20]
    expected = filterset.qs.order_by(*SORTS[sort]).values_list("id", flat=True)
    assert [service.id for service in page] == list(expected[start : start + 20])


def test_browse_without_search_reads_counts_from_the_index(client, make_service):
    make_service("스마트 가로등")
    make_service("드론 순찰", status="operating")
    first = client.get("/services/", {"status": "operating"})
    assert first.context["page"].paginator.count == 1
    assert cache.get(f"facet-index:{revision.current()}") is not None


def test_another_worker_loads_the_shared_index_instead_of_reading_the_catalog(
    client, make_service, django_assert_num_queries
):
    make_service("스마트 가로등")
    client.get("/services/")
    facet_index.clear()  # as a second process would start
    with django_assert_num_queries(1):  # the revision only
        index = facet_index.for_current_revision(UNSEARCHED_SORTS)
    assert len(index) == 1


def test_an_index_read_while_the_catalog_changed_is_not_shared(monkeypatch, make_service):
    make_service("스마트 가로등")
    numbers = iter([7, 8])
    monkeypatch.setattr(revision, "current", lambda: next(numbers))
    index = facet_index.build(UNSEARCHED_SORTS)
    assert index.revision == facet_index.UNSHARED


def test_the_index_follows_every_change(client, make_service):
    lamp = make_service("스마트 가로등")
    assert client.get("/services/").context["page"].paginator.count == 1
    lamp.is_published = False
    lamp.save()
    make_service("드론 순찰")
    make_service("주차 공유")
    response = client.get("/services/")
    assert [s.name for s in response.context["page"].object_list] == ["드론 순찰", "주차 공유"]


def test_browse_without_search_has_a_fixed_query_count(
    client, make_service, django_assert_num_queries
):
    cctv = Tag.objects.get(slug="cctv")
    for i in range(60):
        make_service(f"스마트 서비스 {i}").tags.set([cctv])
    client.get("/services/")  # builds the index and the facet options once per revision
    params = {"category": "safety-disaster", "sido": ["41", "11"], "tag": "cctv", "page": "2"}
    # the revision (for the facet options, then for the index), the page's services, their
    # tags, the municipality labels
    with django_assert_num_queries(5):
        response = client.get("/services/", params)
    assert len(response.context["page"].object_list) == 20


def test_while_another_process_builds_the_index_the_page_answers_in_sql(client, make_service):
    make_service("스마트 가로등")
    make_service("드론 순찰", status="operating")
    cache.add(f"facet-index:{revision.current()}:building", True)
    response = client.get("/services/", {"status": "operating"})
    assert response.context["page"].paginator.count == 1
    assert [s.name for s in response.context["page"].object_list] == ["드론 순찰"]
    assert cache.get(f"facet-index:{revision.current()}") is None
