"""A visitor finds parking services, narrows them to one province, follows one to its city,
compares two cities, downloads the list and reads the site in English."""

import csv
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

EXPORT_COLUMNS = [
    "service_id",
    "service_name",
    "description",
    "category_code",
    "category_name",
    "category_basis",
    "subcategory_code",
    "subcategory_name",
    "municipality_code",
    "municipality_name",
    "sido_code",
    "sido_name",
    "plan_title",
    "plan_kind",
    "plan_start_year",
    "plan_end_year",
    "status",
    "tags",
    "source_url",
    "source_page",
    "source_note",
    "url",
    "updated_at",
]
SEOUL_PARKING = "공유 주차장 안내"
SUWON_PARKING = "스마트 주차 정보 제공"
SUWON_DRAFT = "주차면 센서"
GOYANG_PARKING = "거주자 우선주차 공유"
GYEONGGI_PARKING = sorted([SUWON_PARKING, GOYANG_PARKING])


@pytest.fixture
def parking_services(add_plan, add_service):
    """Parking services in 서울 (강남구) and 경기 (수원시, 고양시), a draft and one on lighting."""
    gangnam = add_plan("11680", "강남구 스마트도시계획")
    suwon = add_plan("41110", "수원시 스마트도시계획")
    goyang = add_plan("41280", "고양시 스마트도시계획")
    add_service(gangnam, SEOUL_PARKING, description="빈 주차면을 실시간으로 알려 줍니다.")
    add_service(gangnam, "스마트 가로등")
    add_service(suwon, SUWON_PARKING)
    add_service(suwon, SUWON_DRAFT, is_published=False)
    add_service(goyang, GOYANG_PARKING)


def search_from_home(page: Page, words: str) -> None:
    page.goto("/")
    page.get_by_role("searchbox", name="서비스 검색").fill(words)
    page.get_by_role("button", name="검색").click()


def result_names(page: Page) -> list[str]:
    cards = page.get_by_role("main").get_by_role("article")
    return sorted(cards.get_by_role("heading").all_inner_texts())


def narrow_to_sido(page: Page, name: str) -> int:
    """Tick a 시·도 in the facet, apply it and return the count that was shown beside it."""
    facet = page.get_by_role("group", name="시·도")
    shown_count = int(facet.get_by_text(re.compile(rf"^{name} \d+$")).inner_text().split()[-1])
    facet.get_by_role("checkbox", name=re.compile(rf"^{name} ")).check()
    page.get_by_role("button", name="적용").click()
    return shown_count


def compare(page: Page, first: str, second: str) -> None:
    page.get_by_role("banner").get_by_role("link", name="비교").click()
    page.get_by_label("자치단체 1").select_option(label=first)
    page.get_by_label("자치단체 2").select_option(label=second)
    page.get_by_role("button", name="비교하기").click()


def download_csv(page: Page, link_name: str, folder: Path) -> list[dict]:
    with page.expect_download() as download_info:
        page.get_by_role("link", name=link_name).click()
    download = download_info.value
    path = folder / download.suggested_filename
    download.save_as(path)
    with path.open(encoding="utf-8-sig", newline="") as stream:
        return list(csv.DictReader(stream))


def switch_to_english(page: Page) -> None:
    page.get_by_label("언어").select_option(label="English")
    page.get_by_role("button", name="바꾸기").click()


def test_visitor_finds_parking_by_province_compares_cities_exports_and_reads_english(
    page: Page, parking_services, refused_by_policy, tmp_path
):
    search_from_home(page, "주차")
    expect(page.get_by_role("heading", name="서비스 3개")).to_be_visible()
    assert result_names(page) == sorted([SEOUL_PARKING, SUWON_PARKING, GOYANG_PARKING])

    shown_count = narrow_to_sido(page, "경기도")
    expect(page.get_by_role("heading", name=f"서비스 {shown_count}개")).to_be_visible()
    assert result_names(page) == GYEONGGI_PARKING
    filtered_url = page.url

    page.get_by_role("link", name=SUWON_PARKING).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SUWON_PARKING)
    page.get_by_role("article").get_by_role("link", name="경기도 수원시").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("경기도 수원시")
    expect(page.get_by_role("link", name=SUWON_PARKING)).to_be_visible()
    expect(page.get_by_role("link", name=SUWON_DRAFT)).to_have_count(0)

    compare(page, "수원시", "강남구")
    assert parse_qs(urlsplit(page.url).query)["m"] == ["41110", "11680"]
    # The field table (captioned "분야별로 …"); the idea-similarity matrix repeats the names.
    table = page.get_by_role("table", name=re.compile("^분야별로"))
    expect(table.get_by_role("columnheader", name="경기도 수원시")).to_be_visible()
    expect(table.get_by_role("columnheader", name="서울특별시 강남구")).to_be_visible()
    expect(table.get_by_role("link", name=SUWON_PARKING)).to_be_visible()
    expect(table.get_by_role("link", name=SEOUL_PARKING)).to_be_visible()

    page.goto(filtered_url)
    rows = download_csv(page, "CSV (Excel)", tmp_path)
    assert list(rows[0]) == EXPORT_COLUMNS
    assert sorted(row["service_name"] for row in rows) == GYEONGGI_PARKING
    assert {row["sido_name"] for row in rows} == {"경기도"}

    switch_to_english(page)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    header = page.get_by_role("banner")
    expect(header.get_by_role("link", name="Services", exact=True)).to_be_visible()
    expect(header.get_by_role("link", name="Compare", exact=True)).to_be_visible()
    assert result_names(page) == GYEONGGI_PARKING
    assert refused_by_policy == []
