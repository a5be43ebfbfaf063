"""Reading a file never loses a row silently and never costs more than what the file holds."""

import io

import pytest
from django.contrib.auth.models import User

from catalog.importing import MAX_ROWS, ImportFileError, apply, prepare, read_table
from catalog.importing.read import MAX_CELL_CHARS
from catalog.models import Service
from tests.catalog.workbooks import sparse_xlsx

pytestmark = pytest.mark.django_db

HEADER = "서비스명,분야,문서 쪽,설명\n"


def test_blank_rows_do_not_count_toward_the_row_limit():
    lines = [f"서비스 {i},교통,1,\n,,,\n" for i in range(6000)]
    table = read_table((HEADER + "".join(lines)).encode(), "blank-rows.csv")
    assert len(table.rows) == 6000
    assert table.rows[-1].number == 2 + 2 * 5999  # rows keep their spreadsheet numbers


def test_a_file_over_the_limit_is_refused_with_its_true_count():
    lines = [f"서비스 {i},교통,1,\n,,,\n" for i in range(MAX_ROWS + 5)]
    with pytest.raises(ImportFileError) as refused:
        read_table((HEADER + "".join(lines)).encode(), "too-many.csv")
    assert "10,005" in str(refused.value)


def test_a_description_of_more_than_100_kb_is_accepted(plan):
    description = "가" * 60_000 + "a" * 100_000  # 280 KB of UTF-8
    text = f"서비스명,분야,문서 쪽,설명\n가로등,교통,1,{description}\n"
    preview = prepare(read_table(text.encode(), "long.csv"), plan=plan)
    assert not preview.has_errors, preview.error_lines()
    apply(preview)
    assert Service.objects.get().description == description


def test_a_cell_over_the_cell_limit_names_its_row_and_column():
    text = (
        f"서비스명,분야,문서 쪽,설명\n가로등,교통,1,\n가로등2,교통,1,{'x' * (MAX_CELL_CHARS + 1)}\n"
    )
    with pytest.raises(ImportFileError) as refused:
        read_table(text.encode(), "huge-cell.csv")
    assert str(refused.value).startswith("3행 '설명' 열의 값이 너무 깁니다(1,000,001자)")


def test_a_value_in_column_xfd_does_not_widen_every_row():
    table = read_table(sparse_xlsx(2000), "far.xlsx")
    assert len(table.rows) == 2000
    assert {len(row.cells) for row in table.rows} == {3}
    assert all(row.unnamed_values for row in table.rows)


def test_values_outside_the_header_are_a_warning(plan):
    preview = prepare(read_table(sparse_xlsx(3), "far.xlsx"), plan=plan)
    assert not preview.has_errors
    assert preview.warning_lines()[0] == "2행: 머리글이 없는 열의 값은 무시합니다."


@pytest.fixture
def reviewer_client(client):
    user = User.objects.create_superuser("chief", password="pw-1234-long")
    client.force_login(user)
    return client


def test_a_file_larger_than_a_form_post_previews_and_confirms(reviewer_client, plan):
    """The confirming request carries a token, not the file (Django refuses posts over 2.5 MB)."""
    body = "".join(f"서비스 {i},교통,{i},{'설명 ' * 400}\n" for i in range(1500))
    data = (HEADER + body).encode()
    assert len(data) > 3 * 1024 * 1024
    upload = io.BytesIO(data)
    upload.name = "big.csv"
    url = f"/admin/catalog/plan/{plan.pk}/import/"
    preview = reviewer_client.post(url, {"file": upload})
    assert preview.context["preview"].counts["create"] == 1500
    response = reviewer_client.post(url, {"confirm": "1", "token": preview.context["token"]})
    assert response.status_code == 302
    assert Service.objects.filter(plan=plan).count() == 1500


def test_the_preview_page_lists_the_first_rows_and_every_row_with_an_error(reviewer_client, plan):
    body = "".join(f"서비스 {i},교통,{i},\n" for i in range(600)) + "마지막,없는 분야,1,\n"
    upload = io.BytesIO((HEADER + body).encode())
    upload.name = "long.csv"
    response = reviewer_client.post(f"/admin/catalog/plan/{plan.pk}/import/", {"file": upload})
    shown = response.context["shown_rows"]
    assert len(shown) == 501
    assert shown[-1].number == 602
    assert response.context["hidden_rows"] == 100
    assert "나머지 100행" in response.content.decode()
