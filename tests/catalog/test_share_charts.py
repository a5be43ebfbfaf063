"""Field shares drawn as server-rendered SVG bars on the home, field, municipality, dashboard and
idea pages: accessible, in Korean and English, numbers beside them and downloadable."""

import csv
import io
import re

import pytest

from analysis.models import IdeaCluster
from analysis.runs import find_and_store
from catalog import charts
from catalog.models import Category
from tests.test_security import inline_code

pytestmark = pytest.mark.django_db
SHARES_SVG = re.compile(r'<svg class="chart chart-shares".*?</svg>', re.S)


@pytest.fixture
def shares_catalog(make_service, db):
    """Three services in 고양시: two of 교통, one of 안전."""
    transport = Category.objects.get(code="transport")
    make_service("스마트 버스정류장", category=transport)
    make_service("스마트 횡단보도", category=transport)
    make_service("스마트 가로등")


def csv_rows(client, url: str) -> list[dict]:
    text = b"".join(client.get(url).streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def only_chart(body: str) -> str:
    [svg] = SHARES_SVG.findall(body)
    return svg


def test_share_bars_scale_to_a_round_axis_above_the_largest_share():
    chart = charts.share_bars([("교통", [66.7]), ("안전", [33.3]), ("교육", [0.0])])
    assert [tick.value for tick in chart.ticks] == [0, 20, 40, 60, 80]
    widths = [row.bars[0].width for row in chart.rows]
    assert widths[0] == pytest.approx(widths[1] * 2, abs=1)
    assert widths[2] == 0
    assert chart.legend == ()


def test_two_series_stand_side_by_side_with_a_legend():
    chart = charts.share_bars([("교통", [50.0, 20.0])], ["고양시", "전국"])
    [row] = chart.rows
    assert [bar.series for bar in row.bars] == [0, 1]
    assert row.bars[1].y > row.bars[0].y
    assert [name for _series, name, _x in chart.legend] == ["고양시", "전국"]


@pytest.mark.parametrize("url", ["/", "/categories/", "/analysis/"])
def test_pages_draw_the_shares_as_an_accessible_svg_beside_their_table(client, shares_catalog, url):
    response = client.get(url)
    body = response.content.decode()
    svg = only_chart(body)
    assert '<title id="shares-chart-title">분야별 서비스 비중</title>' in svg
    assert '<desc id="shares-chart-desc">' in svg
    assert "교통: 66.7%" in svg  # each bar names its number
    assert '<td class="num">66.7%</td>' in body  # and the table beside it
    assert "<meter" not in body
    assert "style=" not in svg
    assert inline_code(response) == []


def test_municipality_page_draws_its_shares_beside_the_national_ones(client, shares_catalog):
    body = client.get("/municipalities/41280/").content.decode()
    svg = only_chart(body)
    assert svg.count('class="chart-bar chart-series-0"') == 12 + 1  # every field, and the legend
    assert svg.count('class="chart-bar chart-series-1"') == 12 + 1
    assert ">고양시</text>" in svg
    assert ">전국</text>" in svg


def test_every_share_chart_links_to_its_numbers_as_csv(client, shares_catalog):
    home = client.get("/").content.decode()
    assert 'href="/analysis/export/shares/">CSV</a>' in home
    municipality = client.get("/municipalities/41280/").content.decode()
    link = re.search(r'href="(/analysis/export/shares/\?municipality=41280)">CSV</a>', municipality)
    rows = csv_rows(client, link.group(1))
    transport = next(row for row in rows if row["category_code"] == "transport")
    assert (transport["service_count"], transport["share_percent"]) == ("2", "66.7")


def test_share_charts_speak_english_when_asked(client, shares_catalog):
    client.cookies["django_language"] = "en"
    svg = only_chart(client.get("/municipalities/41280/").content.decode())
    assert "Share of services by field" in svg
    assert ">Nationwide</text>" in svg
    assert "Transport: 66.7%" in svg


def test_an_idea_pages_field_chart_downloads_its_numbers(client, copied_ideas):
    find_and_store()
    crossing = IdeaCluster.objects.filter(members__service__name="스마트 횡단보도").get()
    body = client.get(crossing.get_absolute_url()).content.decode()
    assert only_chart(body)
    url = f"/ideas/{crossing.pk}/fields.csv"
    assert f'href="{url}">CSV</a>' in body
    rows = csv_rows(client, url)
    assert [(row["category_code"], row["service_count"], row["share_percent"]) for row in rows] == [
        ("transport", "3", "100.0")
    ]


def test_the_label_column_fits_the_longest_label_in_either_language():
    korean = charts.share_bars([("방범·방재", [1.0]), ("환경·에너지·수자원", [2.0])])
    english = charts.share_bars([("Crime prevention and disaster management", [1.0])])
    assert korean.plot_left >= charts.label_width("환경·에너지·수자원")
    assert english.plot_left >= charts.label_width("Crime prevention and disaster management")
    assert english.plot_left > korean.plot_left
    assert english.plot_left + 100 < english.width  # the bars keep room
