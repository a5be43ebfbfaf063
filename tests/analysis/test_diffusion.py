"""How ideas spread on ``/analysis/``: rankings by spread and speed, new ideas per year, the
share of each year's services already planned elsewhere, and the most similar local
governments nationwide; their CSVs, charts and English."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analysis import diffusion, figures
from analysis.models import IdeaCluster
from analysis.runs import find_and_store
from catalog.models import Municipality, Service
from tests.test_security import inline_code

pytestmark = pytest.mark.django_db
SVG = re.compile(r"<svg\b[^>]*>.*?</svg>", re.S)
CROSSING = "스마트 횡단보도"
BUS_STOP = "스마트 버스정류장"


@pytest.fixture
def codes(db) -> list[str]:
    """Seven local governments of the reference data."""
    return list(
        Municipality.objects.filter(parent__isnull=False)
        .order_by("code")
        .values_list("code", flat=True)[:7]
    )


@pytest.fixture
def spread_ideas(codes, add_in_year):
    """The crossing adopted by six cities (the first of them again in 2021), the bus stop by
    two, and services found in one city only:

    ====  ==========================  ===================  ==============
    year  crossing                    bus stop             alone
    ====  ==========================  ===================  ==============
    2018  c0                                               c0 (하천 염도)
    2019  c1, c2
    2020  c3                          c5
    2021  c0 (a second plan)          c6
    2022  c4
    2023  c5
    ====  ==========================  ===================  ==============
    """
    c = codes
    for code, year in [(c[0], 2018), (c[1], 2019), (c[2], 2019), (c[3], 2020), (c[0], 2021)]:
        add_in_year(code, year, CROSSING)
    add_in_year(c[4], 2022, CROSSING)
    add_in_year(c[5], 2023, CROSSING)
    add_in_year(c[5], 2020, BUS_STOP)
    add_in_year(c[6], 2021, BUS_STOP)
    add_in_year(c[0], 2018, "하천 염도측정")
    find_and_store()
    return {
        "crossing": IdeaCluster.objects.filter(members__service__name=CROSSING).distinct().get(),
        "bus_stop": IdeaCluster.objects.filter(members__service__name=BUS_STOP).distinct().get(),
    }


def published():
    return Service.objects.published()


def test_ideas_are_ranked_by_the_local_governments_planning_them(spread_ideas):
    ranked = list(diffusion.by_spread(published()))
    assert [(idea.pk, idea.adopters, idea.first_year) for idea in ranked] == [
        (spread_ideas["crossing"].pk, 6, 2018),
        (spread_ideas["bus_stop"].pk, 2, 2020),
    ]


def test_speed_is_the_years_from_the_first_to_the_fifth_adopter(spread_ideas):
    # Adoptions of the crossing: 2018, 2019, 2019, 2020, 2022 (fifth), 2023; the first city's
    # second plan (2021) is no new adoption.
    [crossing] = diffusion.by_speed(published())
    assert crossing.pk == spread_ideas["crossing"].pk
    assert (crossing.first_year, crossing.speed_year, crossing.years_to_speed_adopter) == (
        2018,
        2022,
        4,
    )


def test_ideas_with_fewer_than_five_adopters_have_no_speed(spread_ideas, codes):
    Service.objects.filter(name=CROSSING, plan__municipality__code__in=codes[4:6]).update(
        is_published=False
    )
    assert diffusion.by_speed(published()) == []


def test_new_ideas_are_counted_in_the_year_of_their_first_adoption(spread_ideas):
    chart = diffusion.new_ideas_per_year(published())
    assert [(bar.label, bar.value, bar.cumulative) for bar in chart.bars] == [
        ("2018", 1, 1),
        ("2019", 0, 1),
        ("2020", 1, 2),
    ]


def test_copied_share_is_each_years_services_planned_earlier_elsewhere(spread_ideas):
    # 2018: the first crossing and an idea of one city: 0 of 2.
    # 2019: two crossings after 2018's: 2 of 2. 2020: a crossing, the first bus stop: 1 of 2.
    # 2021: the first city's own second crossing (others planned it in 2019) and the second
    # bus stop: 2 of 2. 2022 and 2023: crossings: 1 of 1 each.
    series = diffusion.copied_share_per_year(published())
    assert [(row.year, row.service_count, row.copied_count, row.percent) for row in series] == [
        (2018, 2, 0, 0.0),
        (2019, 2, 2, 100.0),
        (2020, 2, 1, 50.0),
        (2021, 2, 2, 100.0),
        (2022, 1, 1, 100.0),
        (2023, 1, 1, 100.0),
    ]


def test_a_citys_own_earlier_plan_does_not_make_its_service_copied(codes, add_in_year):
    add_in_year(codes[0], 2018, CROSSING)
    add_in_year(codes[0], 2020, CROSSING)
    add_in_year(codes[1], 2020, CROSSING)
    find_and_store()
    series = diffusion.copied_share_per_year(published())
    assert [(row.year, row.copied_count) for row in series] == [(2018, 0), (2020, 1)]


def test_the_scope_narrows_the_services_but_copying_looks_at_the_whole_catalog(spread_ideas, codes):
    scoped = published().filter(plan__municipality__code=codes[1])
    assert [(row.year, row.copied_count) for row in diffusion.copied_share_per_year(scoped)] == [
        (2019, 1)
    ]
    assert [idea.adopters for idea in diffusion.by_spread(scoped)] == [1]


def test_dashboard_links_each_ranked_idea_to_its_page(client, spread_ideas):
    response = client.get(reverse("analysis:dashboard"))
    crossing = spread_ideas["crossing"]
    assert [idea.pk for idea in response.context["speed"]] == [crossing.pk]
    body = response.content.decode()
    assert body.count(f'href="{crossing.get_absolute_url()}"') >= 3  # copied, spread, speed


def test_dashboard_diffusion_is_counted_once_per_revision(client, spread_ideas, add_in_year):
    client.get(reverse("analysis:dashboard"))
    with CaptureQueriesContext(connection) as warm:
        cached = client.get(reverse("analysis:dashboard")).context["copied"]
    assert not any("ROW_NUMBER" in query["sql"] for query in warm.captured_queries)
    add_in_year(Municipality.objects.get(code="41280").code, 2024, CROSSING)
    find_and_store()
    assert len(client.get(reverse("analysis:dashboard")).context["copied"]) == len(cached) + 1


def test_warm_dashboard_reads_only_the_revision(client, spread_ideas, django_assert_num_queries):
    client.get(reverse("analysis:dashboard"))
    # 1: the catalog revision, the key of the scope form's cached choices; 2: the revision
    # again, the key of the cached figures (diffusion and similar pairs among them).
    with django_assert_num_queries(2):
        client.get(reverse("analysis:dashboard"))


def csv_of(client, table: str, **params) -> list[dict]:
    response = client.get(reverse("analysis:export", args=[table]), params)
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_csv_tables_carry_the_dashboard_numbers(client, spread_ideas):
    assert csv_of(client, "new-ideas")[-1] == {
        "year": "2020",
        "new_idea_count": "1",
        "cumulative_idea_count": "2",
    }
    assert csv_of(client, "copied-share")[2] == {
        "year": "2020",
        "service_count": "2",
        "copied_service_count": "1",
        "copied_share_percent": "50.0",
    }
    [speed] = csv_of(client, "idea-speed")
    assert (speed["first_year"], speed["fifth_adopter_year"], speed["years_to_fifth_adopter"]) == (
        "2018",
        "2022",
        "4",
    )
    assert speed["idea_url"].endswith(spread_ideas["crossing"].get_absolute_url())


def test_csv_tables_follow_the_scope(client, spread_ideas, codes):
    sido = codes[1][:2]
    rows = csv_of(client, "copied-share", sido=sido)
    assert (
        sum(int(row["service_count"]) for row in rows)
        == published().filter(plan__municipality__code__startswith=sido).count()
    )


def test_charts_have_a_title_and_description_and_no_inline_style(client, spread_ideas):
    response = client.get(reverse("analysis:dashboard"))
    body = response.content.decode()
    svgs = {
        re.search(r'aria-labelledby="([\w-]+)-title', svg).group(1): svg
        for svg in SVG.findall(body)
    }
    assert set(svgs) == {"shares-chart", "new-ideas-chart", "copied-share-chart"}
    for chart_id, svg in svgs.items():
        assert f'<title id="{chart_id}-title">' in svg
    for chart_id in ("new-ideas-chart", "copied-share-chart"):
        assert re.search(rf'<desc id="{chart_id}-desc">2018년부터 20\d\d년까지 ', svgs[chart_id])
    assert "chart-line" not in svgs["copied-share-chart"]  # a share has no running total
    assert "style=" not in body
    assert inline_code(response) == []


def test_copied_share_bars_stand_on_a_percent_axis(spread_ideas):
    series = diffusion.copied_share_per_year(published())
    chart = diffusion.copied_share_chart(series)
    assert [tick.value for tick in chart.ticks] == [0, 20, 40, 60, 80, 100]
    heights = {bar.label: bar.height for bar in chart.bars}
    assert heights["2018"] == 0
    assert heights["2019"] == pytest.approx(2 * heights["2020"], abs=0.2)


def test_dashboard_speaks_english_when_asked(client, spread_ideas):
    client.cookies["django_language"] = "en"
    body = client.get(reverse("analysis:dashboard")).content.decode()
    assert '<h2 id="diffusion-title">How ideas spread</h2>' in body
    assert "Fastest spreading ideas" in body
    assert '<title id="new-ideas-chart-title">Ideas first planned each year</title>' in body
    assert "From 2018 to 2020" in body
    assert "Most similar local governments" in body
    assert "fewer than 5 published services" in body
    assert "아이디어의 확산" not in body


# -- similar local governments ----------------------------------------------------------------


@pytest.fixture
def portfolios(codes, add_in_year):
    """Three cities of five services each (the first two sharing three ideas, the third one
    with the first), and two cities of one service each sharing an idea: identical, but too
    small to be compared."""
    big = codes[:3]
    for name in ["스마트 횡단보도", "스마트 버스정류장", "스마트 가로등"]:
        add_in_year(big[0], 2020, name)
        add_in_year(big[1], 2021, name)
    add_in_year(big[2], 2021, "스마트 가로등")
    for first, second in [
        ("하천 염도측정", "공영주차장 만차 안내"),
        ("드론 순찰", "어린이 등하굣길 알림"),
    ]:
        add_in_year(big[0], 2020, first)
        add_in_year(big[1], 2021, second)
    for name in ["미세먼지 알리미", "공공 와이파이", "도서관 좌석 예약", "전기차 충전소 안내"]:
        add_in_year(big[2], 2021, name)
    add_in_year(codes[5], 2022, "무인 민원 발급기")
    add_in_year(codes[6], 2022, "무인 민원 발급기")
    find_and_store()
    return codes


def test_most_similar_pairs_leave_out_cities_below_the_minimum(portfolios):
    assert figures.PAIR_MINIMUM_SERVICES == 5
    pairs = [(pair.first.code, pair.second.code, pair.common) for pair in figures.similar_pairs()]
    assert pairs[0] == (portfolios[0], portfolios[1], 3)
    assert (portfolios[0], portfolios[2], 1) in pairs
    assert all(portfolios[5] not in pair[:2] and portfolios[6] not in pair[:2] for pair in pairs)


def test_pair_jaccard_is_shared_ideas_over_ideas_of_either(portfolios):
    first = figures.similar_pairs()[0]
    # Five ideas each, three in common: 3 / (5 + 5 - 3).
    assert first.jaccard == pytest.approx(3 / 7)


def test_similar_pairs_read_the_catalog_once_per_revision(portfolios):
    figures.similar_pairs()
    with CaptureQueriesContext(connection) as again:
        figures.similar_pairs()
    assert again.captured_queries
    assert not [q["sql"] for q in again.captured_queries if "catalog_service" in q["sql"]]


def test_dashboard_states_the_minimum_and_exports_the_pairs(client, portfolios):
    body = client.get(reverse("analysis:dashboard")).content.decode()
    assert "공개 서비스가 5개보다 적은 자치단체는 뺍니다." in body
    rows = csv_of(client, "similar-pairs")
    assert (rows[0]["municipality_code"], rows[0]["other_municipality_code"]) == (
        portfolios[0],
        portfolios[1],
    )
    assert rows[0]["common_idea_count"] == "3"
    assert rows[0]["jaccard"] == "0.4286"


def test_municipality_page_lists_its_five_nearest(client, codes, add_in_year):
    for index, code in enumerate(codes[1:]):
        add_in_year(codes[0], 2020, f"공유 아이디어 {index}번 서비스")
        add_in_year(code, 2021, f"공유 아이디어 {index}번 서비스")
    find_and_store()
    response = client.get(f"/municipalities/{codes[0]}/")
    body = response.content.decode()
    listed = re.findall(r'<td><a href="/municipalities/(\d+)/">', body)
    assert len(listed) == 5
    assert set(listed) <= set(codes[1:])
