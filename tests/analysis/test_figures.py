"""Duplication rate, differentiation, similar municipalities, the same idea elsewhere."""

import pytest

from analysis import figures
from analysis.models import IdeaCluster
from analysis.runs import find_and_store
from catalog.models import Municipality, Service

pytestmark = pytest.mark.django_db


@pytest.fixture
def clustered(copied_ideas):
    find_and_store()
    return copied_ideas


def test_duplication_rate_counts_services_whose_idea_is_elsewhere(clustered):
    rate = figures.duplication_rate(Service.objects.published())
    assert (rate.shared, rate.total) == (5, 8)
    assert rate.percent == 62.5


def test_duplication_rate_follows_the_scope(clustered):
    goyang = Service.objects.published().filter(plan__municipality__code="41280")
    rate = figures.duplication_rate(goyang)
    assert (rate.shared, rate.total) == (1, 2)


def test_differentiation_index_is_the_share_found_nowhere_else(clustered):
    rows = {row.code: row for row in figures.differentiation()}
    assert (rows["41280"].service_total, rows["41280"].unique_count) == (2, 1)
    assert rows["41280"].differentiation == 50.0
    assert rows["47210"].differentiation == 0.0
    assert "11110" not in rows  # no services, no index


def test_most_copied_ideas_come_first_with_their_municipalities(clustered):
    ideas = list(figures.most_copied())
    assert ideas[0].municipality_count == 3
    codes = {m.service.plan.municipality.code for m in ideas[0].published_members}
    assert codes == {"41280", "48250", "27140"}


def test_same_idea_elsewhere_lists_other_municipalities_only(clustered, add):
    goyang_crossing = clustered["crossing"][0]
    elsewhere = figures.same_idea_elsewhere(goyang_crossing)
    assert {m.service.plan.municipality.code for m in elsewhere} == {"48250", "27140"}


def test_similar_municipalities_use_jaccard_over_ideas(clustered, add):
    add("48250", "스마트 버스정류장")  # 김해 now shares two ideas with others
    find_and_store()
    goyang = Municipality.objects.get(code="41280")
    similar = {s.municipality.code: s for s in figures.similar_municipalities(goyang)}
    # 고양: {crossing, 조류퇴치}; 대구 동구: {crossing} → 1 / (2 + 1 - 1) = 0.5
    assert similar["27140"].jaccard == pytest.approx(0.5)
    # 김해: {crossing, bus stop, 스마트팜} → 1 / (2 + 3 - 1) = 0.25
    assert similar["48250"].jaccard == pytest.approx(0.25)
    assert next(iter(similar)) == "27140"


def test_unpublishing_a_service_removes_it_from_every_figure(clustered):
    service = clustered["crossing"][2]
    service.is_published = False
    service.save()
    rate = figures.duplication_rate(Service.objects.published())
    assert (rate.shared, rate.total) == (4, 7)
    ideas = {idea.label: idea.municipality_count for idea in figures.most_copied()}
    assert 3 not in ideas.values()


def test_deleting_a_service_or_moving_a_plan_recounts_the_idea(clustered):
    crossing = clustered["crossing"]
    assert IdeaCluster.objects.get(members__service=crossing[0]).municipality_count == 3
    crossing[2].delete()
    cluster = IdeaCluster.objects.get(members__service=crossing[0])
    assert (cluster.municipality_count, cluster.service_count) == (2, 2)

    plan = crossing[1].plan
    plan.municipality, plan.title = crossing[0].plan.municipality, "옮긴 계획"
    plan.save()
    cluster.refresh_from_db()
    assert (cluster.municipality_count, cluster.service_count) == (1, 2)
    assert cluster not in figures.shared_clusters()


def test_service_page_shows_the_same_idea_elsewhere(client, clustered):
    response = client.get(clustered["crossing"][0].get_absolute_url())
    body = response.content.decode()
    assert "다른 곳의 같은 아이디어" in body
    assert "대구광역시 동구" in body


def test_municipality_page_shows_differentiation_and_similar_cities(client, clustered):
    response = client.get("/municipalities/41280/")
    body = response.content.decode()
    assert "차별화 지수 50.0%" in body
    assert "대구광역시 동구" in body


def test_pages_without_clusters_show_no_analysis_panel(client, copied_ideas):
    response = client.get(copied_ideas["alone"][0].get_absolute_url())
    assert "다른 곳의 같은 아이디어" not in response.content.decode()
