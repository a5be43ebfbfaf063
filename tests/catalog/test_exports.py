"""Exports carry exactly the browse page's services, safely, in four formats."""

import csv
import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from catalog import exporting
from catalog.exporting import COLUMNS
from catalog.models import Category, Tag

pytestmark = pytest.mark.django_db
URL = reverse("catalog:service-export")


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[dict]:
    text = body(response).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def services(make_service):
    transport = Category.objects.get(code="transport")
    return [
        make_service("스마트 가로등", description="LED"),
        make_service("공영주차장 안내", category=transport, source_note='=HYPERLINK("x")'),
        make_service("+위험한 이름", description="-1+2", source_page="@SUM(A1)"),
        make_service("\t탭으로 시작", description="\r줄바꿈"),
        make_service("비공개", is_published=False),
    ]


def test_excel_csv_starts_with_a_bom_and_keeps_hangul(client, services):
    response = client.get(URL, {"format": "csv"})
    raw = body(response)
    assert raw.startswith("\ufeff".encode())
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "스마트 가로등" in raw.decode("utf-8-sig")


def test_plain_csv_has_no_bom(client, services):
    raw = body(client.get(URL, {"format": "csv-utf8"}))
    assert raw.startswith(b"service_id,")


def test_csv_and_json_are_streamed(client, services):
    for export_format in ("csv", "csv-utf8", "json"):
        assert client.get(URL, {"format": export_format}).streaming


def test_file_names_carry_the_date(client, services):
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    for export_format, suffix in (("csv", "csv"), ("xlsx", "xlsx"), ("json", "json")):
        disposition = client.get(URL, {"format": export_format})["Content-Disposition"]
        assert f"smartcity-services-{today}.{suffix}" in disposition


def test_columns_are_stable_snake_case_keys(client, services):
    rows = csv_rows(client.get(URL, {"format": "csv"}))
    assert list(rows[0]) == list(COLUMNS)
    row = next(r for r in rows if r["service_name"] == "스마트 가로등")
    assert row["municipality_code"] == "41280"
    assert row["municipality_name"] == "고양시"
    assert row["sido_code"] == "41000"
    assert row["category_code"] == "safety-disaster"


def test_exports_apply_the_browse_filters_across_all_pages(client, services, make_service):
    for i in range(30):
        make_service(f"교통 {i}", category=Category.objects.get(code="transport"))
    rows = csv_rows(client.get(URL, {"format": "csv", "category": "transport", "per_page": 20}))
    assert len(rows) == 31
    assert {r["category_code"] for r in rows} == {"transport"}
    searched = csv_rows(client.get(URL, {"format": "csv", "q": "가로등"}))
    assert [r["service_name"] for r in searched] == ["스마트 가로등"]


def test_drafts_are_never_exported(client, services):
    for export_format in ("csv", "json"):
        assert "비공개" not in body(client.get(URL, {"format": export_format})).decode("utf-8-sig")


def test_csv_neutralises_formula_cells(client, services):
    rows = csv_rows(client.get(URL, {"format": "csv"}))
    cells = [value for row in rows for value in row.values()]
    assert '\'=HYPERLINK("x")' in cells
    assert "'+위험한 이름" in cells
    assert "'-1+2" in cells
    assert "'@SUM(A1)" in cells
    assert "'\t탭으로 시작" in cells
    assert "'\r줄바꿈" in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)


def test_xlsx_neutralises_formula_cells_and_holds_every_row(client, services):
    response = client.get(URL, {"format": "xlsx"})
    workbook = load_workbook(io.BytesIO(body(response)))
    sheet = workbook.active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(COLUMNS)
    assert len(rows) == 1 + 4
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            assert cell.data_type != "f"
    formula_like = [
        c for row in sheet.iter_rows(min_row=2) for c in row if c.value == "+위험한 이름"
    ]
    assert formula_like  # kept exactly as written, as a text cell
    assert formula_like[0].data_type == "s"


def test_xlsx_survives_control_characters(client, make_service):
    make_service("제어\x0b문자\x01가 든 이름", description="엑셀에서 붙여 넣은 \x1f글")
    response = client.get(URL, {"format": "xlsx"})
    assert response.status_code == 200
    values = [
        c
        for row in load_workbook(io.BytesIO(body(response))).active.iter_rows(values_only=True)
        for c in row
    ]
    assert "제어문자가 든 이름" in values


@pytest.mark.parametrize(
    "params", [{"category": "nope"}, {"category": ["transport", "nope"]}, {"year_from": "abc"}]
)
def test_exports_refuse_unknown_filters_instead_of_exporting_more(client, services, params):
    response = client.get(URL, {"format": "csv", **params})
    assert response.status_code == 400
    assert "알 수 없는 조건" in response.content.decode()


def test_json_lists_the_services_with_the_filters_used(client, services):
    data = json.loads(body(client.get(URL, {"format": "json", "category": "transport"})))
    assert data["filters"] == {"category": ["transport"]}
    assert [s["service_name"] for s in data["services"]] == ["공영주차장 안내"]
    assert data["services"][0]["municipality_code"] == "41280"
    assert data["columns"] == list(COLUMNS)


def test_an_empty_export_is_still_well_formed(client, services):
    assert json.loads(body(client.get(URL, {"format": "json", "q": "없는말"})))["services"] == []
    assert csv_rows(client.get(URL, {"format": "csv", "q": "없는말"})) == []


def test_unknown_format_is_a_400_with_a_message(client):
    response = client.get(URL, {"format": "pdf"})
    assert response.status_code == 400
    assert "알 수 없는 형식" in response.content.decode()


def test_export_queries_do_not_grow_with_rows(client, make_service, django_assert_num_queries):
    for i in range(60):
        make_service(f"서비스 {i}")
    client.get("/services/")  # a visit has built the facet index, which holds the tags
    # the revision (for the cached filter options, then the facet index), the release the data
    # matches, fields, sub-groups, plans, tags, services
    with django_assert_num_queries(8):
        body(client.get(URL, {"format": "csv"}))


def test_an_export_reads_tags_from_the_database_while_the_index_is_built_elsewhere(
    client, make_service
):
    from django.core.cache import cache

    from catalog import revision

    made = make_service("스마트 가로등")
    made.tags.set([Tag.objects.get(slug="cctv")])
    cache.add(f"facet-index:{revision.current()}:building", True)
    rows = csv_rows(client.get(URL, {"format": "csv"}))
    assert [row["tags"] for row in rows] == [Tag.objects.get(slug="cctv").name]


def test_every_row_carries_its_place_link_and_tags_in_order_across_chunks(
    client, make_service, monkeypatch
):
    monkeypatch.setattr(exporting, "CHUNK_SIZE", 2)  # tags are looked up chunk by chunk
    tags = list(Tag.objects.filter(slug__in=["cctv", "iot", "어린이"]))
    made = [make_service(f"서비스 {i}") for i in range(5)]
    for i, service in enumerate(made):
        service.tags.set(tags[: i % 4])
    rows = {row["service_name"]: row for row in csv_rows(client.get(URL, {"format": "csv"}))}
    ordered = [tag.name for tag in Tag.objects.filter(pk__in=[t.pk for t in tags])]
    for i, service in enumerate(made):
        row = rows[service.name]
        expected = [name for name in ordered if name in {t.name for t in tags[: i % 4]}]
        assert row["tags"] == ";".join(expected)
        assert row["url"] == f"http://testserver{service.get_absolute_url()}"
        assert (row["municipality_code"], row["sido_code"]) == ("41280", "41000")
        assert (row["sido_name"], row["plan_end_year"]) == ("경기도", "2028")
        assert row["subcategory_code"] == ""


def test_xlsx_streams_a_workbook_that_keeps_types_and_names_its_sheet():
    import zipfile

    from catalog.spreadsheets import xlsx_chunks

    consumed = []

    def rows():
        for number in range(3):
            consumed.append(number)
            yield {"name": f"<이름 & {number}>", "count": number, "share": 0.5, "none": None}

    chunks = xlsx_chunks(rows(), ("name", "count", "share", "none"), sheet='분야 "shares"')
    first = next(chunks)
    assert first.startswith(b"PK")  # the file starts before the rows are read
    assert consumed == []
    data = first + b"".join(chunks)
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    sheet = load_workbook(io.BytesIO(data))['분야 "shares"']
    assert list(sheet.iter_rows(values_only=True)) == [
        ("name", "count", "share", "none"),
        ("<이름 & 0>", 0, 0.5, None),
        ("<이름 & 1>", 1, 0.5, None),
        ("<이름 & 2>", 2, 0.5, None),
    ]
