"""``/ideas/<id>/``: an idea planned by two or more local governments, its services by year with
the first adopters, a timeline chart, its 시·도 and fields, why it was grouped, and its CSVs."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from analysis import spread
from analysis.models import ClusterMember, IdeaCluster
from analysis.runs import find_and_store
from catalog import charts
from catalog.models import Category, Municipality, Plan, Service
from tests.test_security import inline_code

pytestmark = pytest.mark.django_db

# The year each city's plan starts; 영주's plan has none.
YEARS = {"41280": 2019, "48250": 2019, "27140": 2021, "27290": 2022, "47210": None}
SVG = re.compile(r"<svg\b[^>]*>.*?</svg>", re.S)


@pytest.fixture
def crossing(city_plans, copied_ideas, add) -> IdeaCluster:
    """The crossing idea after a run: 고양 and 김해 first (2019), 대구 동구 (2021), 대구 달서구
    (2022, filed under safety), 영주 (a plan without a year); and a second crossing of 김해
    withdrawn to a draft after the run."""
    for code, plan in city_plans.items():
        plan.start_year = YEARS[code]
        plan.save()
    add("27290", "스마트 횡단보도", category=Category.objects.get(code="safety-disaster"))
    add("47210", "스마트 횡단보도")
    draft = add("48250", "스마트 횡단보도")
    find_and_store()
    draft.is_published = False
    draft.save()
    cluster = IdeaCluster.objects.get(members__service=copied_ideas["crossing"][0])
    members = cluster.members.values_list("service__plan__municipality__code", flat=True)
    assert sorted(members) == sorted([*YEARS, "48250"])
    return cluster


@pytest.fixture
def bus_stop(crossing, copied_ideas) -> IdeaCluster:
    """The bus stop idea of 대구 달서구 and 영주."""
    return IdeaCluster.objects.get(members__service=copied_ideas["bus_stop"][0])


def get(client, cluster: IdeaCluster, **kwargs):
    return client.get(cluster.get_absolute_url(), **kwargs)


def page_of(client, cluster: IdeaCluster) -> str:
    response = get(client, cluster)
    assert response.status_code == 200
    return response.content.decode()


def section(body: str, title_id: str) -> str:
    return body.split(f'id="{title_id}"', 1)[1].split("</section>", 1)[0]


def csv_rows(response) -> list[dict]:
    content = b"".join(response.streaming_content)
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def shown_groups(response) -> list[tuple[int | None, int, list[str], bool]]:
    """(year, services counted, names listed, first adopters) per year group, as shown."""
    return [
        (group.year, group.service_count, [s.name for s in group.services], group.first_adopters)
        for group in response.context["page"].year_groups
    ]


# What the page shows


def test_services_are_grouped_by_plan_year_with_unknown_years_last(client, crossing):
    response = get(client, crossing)
    assert shown_groups(response) == [
        (2019, 2, ["스마트 횡단보도", "스마트횡단보도"], True),
        (2021, 1, ["스마트횡단보도 설치"], False),
        (2022, 1, ["스마트 횡단보도"], False),
        (None, 1, ["스마트 횡단보도"], False),
    ]
    body = section(response.content.decode(), "services-title")
    headings = [body.index(text) for text in ("2019년", "2021년", "2022년", "연도 미상")]
    assert headings == sorted(headings)


def test_every_service_of_the_earliest_year_is_marked_first(client, crossing):
    body = section(page_of(client, crossing), "services-title")
    marker = '<strong class="first-adopter">처음 계획</strong>'
    first_group, later_groups = body.split("2021년", 1)
    assert first_group.count(marker) == 2
    assert marker not in later_groups


def test_without_any_plan_year_no_service_is_first_and_no_chart_is_drawn(client, crossing):
    Plan.objects.update(start_year=None)
    response = get(client, crossing)
    assert [group.first_adopters for group in response.context["page"].year_groups] == [False]
    body = section(response.content.decode(), "timeline-title")
    assert "<svg" not in body
    assert "계획 연도가 알려진 서비스가 없어 그래프를 그리지 않았습니다." in body
    assert "처음 계획</strong>" not in body


def test_each_service_links_to_its_service_municipality_and_plan(client, crossing, city_plans):
    goyang = Service.objects.get(name="스마트 횡단보도", plan__municipality__code="41280")
    body = section(page_of(client, crossing), "services-title")
    assert f'<a href="/services/{goyang.pk}/">스마트 횡단보도</a>' in body
    assert '<a href="/municipalities/41280/">경기도 고양시</a>' in body
    assert f'<a href="/plans/{city_plans["41280"].pk}/">스마트도시계획</a>' in body


def test_municipalities_are_grouped_by_sido_with_counts(client, crossing):
    response = get(client, crossing)
    groups = [
        (
            group.sido.code,
            group.municipality_count,
            group.service_count,
            [(m.code, m.service_count) for m in group.municipalities],
        )
        for group in response.context["page"].sido_groups
    ]
    assert groups == [
        ("27000", 2, 2, [("27140", 1), ("27290", 1)]),
        ("41000", 1, 1, [("41280", 1)]),
        ("47000", 1, 1, [("47210", 1)]),
        ("48000", 1, 1, [("48250", 1)]),
    ]
    body = section(response.content.decode(), "sido-title")
    assert '<a href="/municipalities/27000/">대구광역시</a>' in body
    assert "자치단체 2곳 · 서비스 2개" in body
    assert '<a href="/municipalities/27290/">달서구</a>' in body


def test_a_sido_planning_the_idea_itself_heads_its_own_group(client, crossing):
    daegu_itself = Municipality.objects.get(code="27000")
    plan = Plan.objects.create(municipality=daegu_itself, title="대구 스마트도시계획")
    service = Service.objects.create(
        plan=plan,
        name="스마트 횡단보도",
        category=Category.objects.get(code="transport"),
        source_page="1",
        is_published=True,
    )
    ClusterMember.objects.create(cluster=crossing, service=service)
    spread.refresh(IdeaCluster.objects.filter(pk=crossing.pk))
    [daegu, *_] = get(client, crossing).context["page"].sido_groups
    assert (daegu.sido.code, daegu.municipality_count, daegu.service_count) == ("27000", 3, 3)
    assert [m.code for m in daegu.municipalities] == ["27000", "27140", "27290"]


def test_fields_the_services_were_filed_under_are_counted(client, crossing):
    response = get(client, crossing)
    fields = [(f.code, f.service_count) for f in response.context["page"].fields]
    assert fields == [("transport", 4), ("safety-disaster", 1)]
    body = section(response.content.decode(), "fields-title")
    assert '<a href="/categories/transport/">교통</a>' in body
    assert "80.0%" in body
    assert "20.0%" in body


def test_page_says_why_the_services_were_grouped_as_the_admin_does(client, crossing):
    crossing.explanation = {
        "terms": ["횡단보도"],
        "synonyms": [{"label": "보행", "terms": ["횡단보도", "건널목"]}],
        "learned": [["스마트횡단보도", "지능형횡단보도"]],
        "similarity": 0.873,
    }
    crossing.save()
    body = section(page_of(client, crossing), "why-title")
    assert '<ul class="cluster-why">' in body
    assert "<li>공통 핵심어: 횡단보도</li>" in body
    assert "<li>동의어(어휘집): 보행: 횡단보도 = 건널목</li>" in body
    assert "<li>배운 같음(담당자 결정): 스마트횡단보도 = 지능형횡단보도</li>" in body
    assert "<li>평균 유사도: 0.87</li>" in body


def test_a_cluster_without_an_explanation_says_the_next_run_fills_it(client, crossing):
    IdeaCluster.objects.filter(pk=crossing.pk).update(explanation={})
    body = section(page_of(client, crossing), "why-title")
    assert "아직 없습니다. 다음 분석 실행이 채웁니다." in body


def test_a_machine_found_idea_says_so_with_its_run(client, crossing):
    body = page_of(client, crossing)
    assert 'class="idea-origin idea-origin-machine"' in body
    assert "분석이 찾은 묶음" in body
    assert f"{timezone.localtime(crossing.run.finished_at):%Y-%m-%d} 분석" in body
    assert "담당자가 확인한 묶음" not in body


def test_a_confirmed_idea_says_staff_confirmed_it(client, crossing):
    crossing.is_confirmed = True
    crossing.confirmed_at = timezone.make_aware(datetime.datetime(2026, 3, 5, 10))
    crossing.save()
    body = page_of(client, crossing)
    assert 'class="idea-origin idea-origin-confirmed"' in body
    assert "담당자가 확인한 묶음" in body
    assert "2026-03-05 확정" in body
    assert "분석이 찾은 묶음" not in body


def test_totals_count_published_services_and_municipalities(client, crossing):
    body = page_of(client, crossing)
    totals = body.split('<dl class="totals">', 1)[1].split("</dl>", 1)[0]
    assert "<dt>자치단체 수</dt><dd>5</dd>" in totals
    assert "<dt>공개 서비스</dt><dd>5</dd>" in totals
    assert "<dt>처음 계획한 해</dt><dd>2019</dd>" in totals
    assert "<dt>분야 수</dt><dd>2</dd>" in totals


def test_drafts_never_appear_or_count(client, crossing):
    draft = Service.objects.get(is_published=False)
    response = get(client, crossing)
    body = response.content.decode()
    assert f"/services/{draft.pk}/" not in body
    listed = [s.pk for group in response.context["page"].year_groups for s in group.services]
    assert draft.pk not in listed
    assert response.context["page"].cluster.service_count == 5
    export = csv_rows(client.get(reverse("analysis:idea-export", args=[crossing.pk])))
    assert str(draft.pk) not in [row["service_id"] for row in export]


# Which ideas have a page


@pytest.mark.parametrize("path", ["/ideas/999999/", "/ideas/abc/", f"/ideas/{10**30}/", "/ideas/"])
def test_unknown_ideas_answer_404(client, crossing, path):
    assert client.get(path).status_code == 404


def test_an_idea_left_in_one_municipality_has_no_page(client, bus_stop):
    Service.objects.filter(name="스마트버스정류장").update(is_published=False)
    spread.refresh(IdeaCluster.objects.filter(pk=bus_stop.pk))
    assert get(client, bus_stop).status_code == 404
    for name in ("analysis:idea-export", "analysis:idea-timeline"):
        assert client.get(reverse(name, args=[bus_stop.pk])).status_code == 404


def test_every_shared_idea_has_a_page(client, crossing, bus_stop):
    assert get(client, bus_stop).status_code == 200
    assert bus_stop.get_absolute_url() == f"/ideas/{bus_stop.pk}/"
    assert reverse("analysis:idea-detail", args=[bus_stop.pk]) == bus_stop.get_absolute_url()


# The timeline chart


def chart_numbers(body: str) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(label, value) of the bars and (label, cumulative) of the line, from the SVG."""
    svg = SVG.search(body).group(0)
    bars = re.findall(r'<rect class="chart-bar"[^>]*><title>(\d+): (\d+)</title>', svg)
    points = re.findall(r'<circle class="chart-point"[^>]*><title>(\d+): (\d+)</title>', svg)
    return (
        [(label, int(value)) for label, value in bars],
        [(label, int(value)) for label, value in points],
    )


def table_numbers(body: str) -> list[tuple[str, int, int]]:
    table = body.split('<table class="list-table timeline-table">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(
        r'<tr><th scope="row">(\d+)</th><td class="num">(\d+)</td><td class="num">(\d+)</td>',
        table,
    )
    return [(year, int(value), int(cumulative)) for year, value, cumulative in rows]


def test_chart_table_and_timeline_csv_give_the_same_numbers(client, crossing):
    body = page_of(client, crossing)
    expected = [("2019", 2, 2), ("2020", 0, 2), ("2021", 1, 3), ("2022", 1, 4)]
    bars, points = chart_numbers(body)
    assert [(label, value) for label, value, _ in expected] == bars
    assert [(label, cumulative) for label, _, cumulative in expected] == points
    assert table_numbers(body) == expected
    timeline = client.get(reverse("analysis:idea-timeline", args=[crossing.pk]))
    assert [
        (row["year"], int(row["service_count"]), int(row["cumulative_service_count"]))
        for row in csv_rows(timeline)
    ] == expected


def test_chart_leaves_out_services_without_a_year_and_says_so(client, crossing):
    body = page_of(client, crossing)
    assert "계획 연도를 모르는 서비스 1개는 그래프와 표에 없습니다." in body


def test_chart_is_an_accessible_svg_drawn_without_script_or_inline_style(client, crossing):
    response = get(client, crossing)
    body = response.content.decode()
    svg = SVG.search(body).group(0)
    assert 'role="img"' in svg
    assert 'aria-labelledby="timeline-chart-title timeline-chart-desc"' in svg
    assert '<title id="timeline-chart-title">연도별로 이 아이디어를 계획한 서비스</title>' in svg
    assert re.search(
        r'<desc id="timeline-chart-desc">2019년부터 2022년까지 .*모두 4개\.</desc>', svg
    )
    assert "style=" not in body
    assert "<script" not in body
    assert inline_code(response) == []
    assert "href" not in svg


def test_bars_are_as_tall_as_their_values(client, crossing):
    chart = get(client, crossing).context["page"].timeline
    heights = {bar.label: bar.height for bar in chart.bars}
    assert heights["2019"] == pytest.approx(2 * heights["2021"], abs=0.2)
    assert heights["2020"] == 0
    assert [tick.value for tick in chart.ticks] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize(
    ("largest", "step"), [(0, 1), (4, 1), (5, 1), (7, 2), (23, 5), (140, 50), (1000, 200)]
)
def test_ticks_step_by_one_two_or_five_times_a_power_of_ten(largest, step):
    assert charts.tick_step(largest) == step


def test_chart_geometry_stays_inside_the_plot():
    chart = charts.bars_with_cumulative([(str(2000 + n), n % 4) for n in range(30)])
    assert chart.total == sum(n % 4 for n in range(30))
    assert chart.ticks[0].value == 0
    assert chart.ticks[-1].value >= chart.total
    for bar in chart.bars:
        assert chart.plot_left <= bar.x < bar.x + bar.width <= chart.plot_right
        assert bar.y + bar.height == pytest.approx(chart.plot_bottom)
        assert chart.plot_top <= bar.line_y <= bar.y
    line_heights = [bar.line_y for bar in chart.bars]
    assert line_heights == sorted(line_heights, reverse=True)
    assert sum(bar.labelled for bar in chart.bars) <= charts.MOST_X_LABELS


def test_an_empty_series_draws_an_empty_axis():
    chart = charts.bars_with_cumulative([])
    assert (chart.bars, chart.total, chart.line_points) == ((), 0, "")
    assert [tick.value for tick in chart.ticks] == [0, 1]


# Downloads


def test_service_table_downloads_as_csv_with_every_published_service(client, crossing):
    response = client.get(reverse("analysis:idea-export", args=[crossing.pk]))
    content = b"".join(response.streaming_content)
    assert content.startswith("\ufeff".encode())
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"smartcity-idea-{crossing.pk}-" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert [(row["plan_year"], row["municipality_code"], row["first_adopter"]) for row in rows] == [
        ("2019", "41280", "True"),
        ("2019", "48250", "True"),
        ("2021", "27140", "False"),
        ("2022", "27290", "False"),
        ("", "47210", "False"),
    ]
    goyang = rows[0]
    assert goyang["idea_id"] == str(crossing.pk)
    assert goyang["service_url"] == f"http://testserver/services/{goyang['service_id']}/"
    assert goyang["plan_url"].startswith("http://testserver/plans/")
    assert (goyang["municipality_name"], goyang["sido_name"]) == ("경기도 고양시", "경기도")
    assert rows[3]["category_code"] == "safety-disaster"


def test_csv_cells_that_a_spreadsheet_would_run_are_neutralised(client, crossing, city_plans):
    city_plans["27140"].title = '=HYPERLINK("http://evil.example","계획")'
    city_plans["27140"].save()
    service = Service.objects.get(name="스마트횡단보도 설치")
    service.name = "@SUM(1+1)"
    service.save()
    rows = csv_rows(client.get(reverse("analysis:idea-export", args=[crossing.pk])))
    row = next(r for r in rows if r["service_id"] == str(service.pk))
    assert row["plan_title"] == '\'=HYPERLINK("http://evil.example","계획")'
    assert row["service_name"] == "'@SUM(1+1)"


def test_timeline_downloads_as_csv_with_a_bom(client, crossing):
    response = client.get(reverse("analysis:idea-timeline", args=[crossing.pk]))
    content = b"".join(response.streaming_content)
    assert content.startswith("\ufeffyear,service_count,cumulative_service_count".encode())
    assert "timeline" in response["Content-Disposition"]


def test_page_links_both_downloads(client, crossing):
    body = page_of(client, crossing)
    assert f'href="/ideas/{crossing.pk}/export.csv"' in body
    assert f'href="/ideas/{crossing.pk}/timeline.csv"' in body


# Links to the page


def test_dashboard_links_the_most_repeated_ideas_to_their_pages(client, crossing):
    body = client.get(reverse("analysis:dashboard")).content.decode()
    assert f'<a href="/ideas/{crossing.pk}/">{crossing.label}</a>' in body


def test_service_page_links_the_same_idea_elsewhere_to_the_idea_page(client, crossing):
    service = Service.objects.get(name="스마트 횡단보도", plan__municipality__code="41280")
    body = client.get(service.get_absolute_url()).content.decode()
    panel = section(body, "same-idea-title")
    assert f'<a href="/ideas/{crossing.pk}/">' in panel


def test_cluster_export_gives_each_row_its_idea_url(client, crossing, bus_stop):
    rows = csv_rows(client.get(reverse("analysis:export", args=["clusters"])))
    assert {row["idea_url"] for row in rows} == {
        f"http://testserver/ideas/{crossing.pk}/",
        f"http://testserver/ideas/{bus_stop.pk}/",
    }
    for row in rows:
        assert row["idea_url"].endswith(f"/ideas/{row['cluster_id']}/")


def test_breadcrumbs_lead_home_to_the_analysis_and_the_idea(client, crossing):
    body = page_of(client, crossing)
    trail = body.split('<nav class="breadcrumbs"', 1)[1].split("</nav>", 1)[0]
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', trail) == [
        ("/", "처음"),
        ("/analysis/", "분석"),
    ]
    assert f'<span aria-current="page">{crossing.label}</span>' in trail
    assert '<a href="/analysis/" aria-current="true">분석</a>' in body


# Queries and languages


@pytest.mark.parametrize("more_services", [0, 30])
def test_page_runs_six_queries_however_many_services(
    client, crossing, django_assert_num_queries, more_services
):
    transport = Category.objects.get(code="transport")
    others = Municipality.objects.local().exclude(code__in=YEARS).order_by("code")
    for number, municipality in enumerate(others[:more_services]):
        plan = Plan.objects.create(
            municipality=municipality, title="스마트도시계획", start_year=2016 + number % 8
        )
        service = Service.objects.create(
            plan=plan,
            name=f"스마트 횡단보도 {number}",
            category=transport,
            source_page="1",
            is_published=True,
        )
        ClusterMember.objects.create(cluster=crossing, service=service, similarity=0.9)
    spread.refresh(IdeaCluster.objects.filter(pk=crossing.pk))
    with django_assert_num_queries(6):
        response = get(client, crossing)
    page = response.context["page"]
    assert sum(len(group.services) for group in page.year_groups) == 5 + more_services
    assert page.timeline.total == 4 + more_services


def test_page_speaks_english_when_asked(client, crossing):
    client.cookies["django_language"] = "en"
    body = page_of(client, crossing)
    assert '<h2 id="timeline-title">Spread by year</h2>' in body
    assert '<title id="timeline-chart-title">Services planning this idea by year</title>' in body
    assert "From 2019 to 2022" in body
    assert "First to plan" in body
    assert "Unknown year" in body
    assert "Found by the analysis" in body
    assert "Transport</a>" in body
    assert "Local governments: 2 · services: 2" in body
    assert "스마트 횡단보도" in body  # names stay as entered
    assert "처음 계획" not in body
