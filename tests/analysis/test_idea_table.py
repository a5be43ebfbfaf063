"""The published catalog as one table per revision, from which the dashboard's figures are
counted: what it holds, when it is read again, and how it is shared."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analysis import figures, idea_table
from analysis.idea_table import NO_IDEA, NO_YEAR
from analysis.runs import find_and_store
from catalog import revision
from catalog.models import Service

pytestmark = pytest.mark.django_db


@pytest.fixture
def clustered(copied_ideas):
    find_and_store()
    return copied_ideas


def catalog_reads(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if "catalog_service" in query["sql"]]


def test_table_holds_each_published_service_once_with_its_place_field_year_and_idea(clustered, add):
    draft = add("41280", "초안 서비스", is_published=False)
    table = idea_table.current()
    published = Service.objects.published().order_by("id")
    assert table.ids.tolist() == list(published.values_list("id", flat=True))
    assert draft.pk not in table.ids.tolist()
    crossing = clustered["crossing"][0]
    row = table.ids.tolist().index(crossing.pk)
    assert table.places[row] == crossing.plan.municipality_id
    assert table.fields[row] == crossing.category_id
    assert table.years[row] == (crossing.plan.start_year or NO_YEAR)
    assert table.ideas[row] == crossing.idea.cluster_id
    alone = clustered["alone"][0]
    assert not table.shared[table.ids.tolist().index(alone.pk)]
    assert table.shared[row]


def test_a_service_outside_every_idea_has_none(add):
    service = add("41280", "어디에도 없는 서비스")
    table = idea_table.current()
    assert table.ideas[table.ids.tolist().index(service.pk)] == NO_IDEA


def test_a_change_gives_the_next_figures_a_new_table(clustered, add):
    before = figures.duplication_rate(Service.objects.published())
    add("47210", "새 서비스")
    after = figures.duplication_rate(Service.objects.published())
    assert after.total == before.total + 1


def test_a_table_read_while_the_catalog_changed_is_served_but_never_kept(clustered, monkeypatch):
    numbers = iter([10, 11])  # read before the rows, and after them
    monkeypatch.setattr(revision, "current", lambda: next(numbers))
    table = idea_table.current()
    assert table.revision == -1
    assert len(table) == Service.objects.published().count()
    assert idea_table._latest is None
    assert cache.get("idea-table:10") is None


def test_every_figure_of_a_page_reads_the_same_table(clustered, add):
    with idea_table.pinned():
        before = figures.duplication_rate(Service.objects.published())
        add("47210", "도중에 들어온 서비스")
        during = figures.duplication_rate(Service.objects.published())
    assert during.total == before.total
    assert figures.duplication_rate(Service.objects.published()).total == before.total + 1


def test_a_scope_is_read_once_per_revision(clustered):
    goyang = Service.objects.published().filter(plan__municipality__code="41280")
    table = idea_table.current()
    assert table.rows_in(goyang).sum() == 2
    with CaptureQueriesContext(connection) as again:
        assert table.rows_in(goyang).sum() == 2
    assert not again.captured_queries


def test_the_whole_catalog_needs_no_reading_of_its_ids(clustered):
    table = idea_table.current()
    with CaptureQueriesContext(connection) as queries:
        rows = table.rows_in(Service.objects.published())
    assert rows.all()
    assert not queries.captured_queries


def test_a_table_is_shared_with_other_processes_through_the_cache(clustered):
    built = idea_table.current()
    idea_table.clear()  # as another process would start
    with CaptureQueriesContext(connection) as queries:
        loaded = idea_table.current()
    assert not catalog_reads(queries)
    assert loaded.ids.tolist() == built.ids.tolist()
    assert loaded.ideas.tolist() == built.ideas.tolist()
