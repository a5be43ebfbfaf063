"""/analysis/, /analysis/method/, the analysis exports and evaluate_duplicates."""

import csv
import io
import json

import pytest
from django.core.cache import caches
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from analysis import idea_table
from analysis.runs import find_and_store
from analysis.views import CLUSTER_COLUMNS

pytestmark = pytest.mark.django_db
LABELLED = "tests/analysis/labelled_services.csv"


@pytest.fixture
def clustered(copied_ideas):
    find_and_store()
    return copied_ideas


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(body(response).decode("utf-8-sig"))))


def test_dashboard_shows_shares_duplication_and_matrix(client, clustered):
    response = client.get(reverse("analysis:dashboard"))
    assert response.status_code == 200
    assert response.context["rate"].percent == 62.5
    assert {row.municipality.code for row in response.context["matrix"].rows} == {
        "41280",
        "48250",
        "27140",
        "27290",
        "47210",
    }
    assert "스마트 횡단보도" in response.content.decode() or "횡단보도" in response.content.decode()


def test_dashboard_scope_uses_the_browse_filters(client, clustered):
    response = client.get(reverse("analysis:dashboard"), {"sido": "27"})
    assert {row.municipality.code for row in response.context["matrix"].rows} == {"27140", "27290"}
    assert sum(c.service_count for c in response.context["shares"]) == 3


@pytest.mark.parametrize("params", [{"sido": "zz"}, {"year_from": "x"}, {"kind": ["", "?"]}])
def test_dashboard_survives_bad_scope(client, clustered, params):
    assert client.get(reverse("analysis:dashboard"), params).status_code == 200


def test_dashboard_before_any_run(client, copied_ideas):
    response = client.get(reverse("analysis:dashboard"))
    assert "중복 분석이 아직 실행되지 않았습니다." in response.content.decode()


def test_method_page_shows_the_last_runs_parameters_and_date(client, clustered):
    response = client.get(reverse("analysis:method"))
    body_text = response.content.decode()
    assert "similarity_threshold" in body_text
    assert "resolution" in body_text
    assert "마지막 실행" in body_text


@pytest.mark.parametrize("url", ["/analysis/", "/analysis/method/"])
def test_analysis_pages_run_a_fixed_number_of_queries(
    client, clustered, add, django_assert_num_queries, url
):
    client.get(url)  # warm caches that are not per request
    for store in caches.all():  # but count the figures afresh
        store.clear()
    idea_table.clear()
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for i in range(20):
        add("47210" if i % 2 else "41280", f"새 서비스 {i}")
    find_and_store()
    with django_assert_num_queries(len(small.captured_queries)):
        client.get(url)


def test_dashboard_figures_are_counted_once_per_revision(client, clustered, add):
    with CaptureQueriesContext(connection) as cold:
        first = client.get("/analysis/")
    with CaptureQueriesContext(connection) as warm:
        assert client.get("/analysis/").context["rate"] == first.context["rate"]
    assert len(warm) < len(cold) / 2
    add("47210", "스마트 횡단보도 안내")
    find_and_store()
    assert client.get("/analysis/").context["rate"].total == first.context["rate"].total + 1


def test_cluster_export_has_the_documented_columns(client, clustered):
    rows = csv_rows(client.get(reverse("analysis:export", args=["clusters"])))
    assert list(rows[0]) == list(CLUSTER_COLUMNS)
    for column in (
        "cluster_id",
        "cluster_label",
        "service_id",
        "municipality_code",
        "municipality_name",
        "service_name",
        "similarity",
    ):
        assert column in rows[0]
    assert len(rows) == 5


@pytest.mark.parametrize("table", ["shares", "matrix", "clusters", "municipalities"])
def test_every_table_exports_as_excel_csv_and_xlsx(client, clustered, table):
    url = reverse("analysis:export", args=[table])
    csv_response = client.get(url)
    assert body(csv_response).startswith("\ufeff".encode())
    assert "smartcity-" in csv_response["Content-Disposition"]
    xlsx = load_workbook(io.BytesIO(body(client.get(url, {"format": "xlsx"}))))
    assert xlsx.active.max_row > 1


def test_share_export_follows_the_scope(client, clustered):
    rows = csv_rows(client.get(reverse("analysis:export", args=["shares"]), {"sido": "27"}))
    assert sum(int(r["service_count"]) for r in rows) == 3


def test_unknown_table_or_format(client, clustered):
    assert client.get(reverse("analysis:export", args=["nope"])).status_code == 404
    response = client.get(reverse("analysis:export", args=["shares"]), {"format": "pdf"})
    assert response.status_code == 400


def test_evaluate_duplicates_prints_precision_recall_and_f1(capsys):
    call_command("evaluate_duplicates", LABELLED)
    out = capsys.readouterr().out
    assert "precision" in out
    assert "recall" in out
    assert "F1" in out


def test_evaluate_duplicates_scores_one_part_of_the_labelled_set(capsys):
    call_command("evaluate_duplicates", LABELLED, "--split", "tune", "--json")
    scores = json.loads(capsys.readouterr().out)
    assert (scores["split"], scores["records"], scores["concepts"]) == ("tune", 663, 142)
    assert scores["lexicon_version"]
    assert scores["precision"] >= 0.58


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,concept\n가,나\n", "missing column"),
        ("municipality_code,name,concept\n99999,가로등,a\n", "line 2: unknown municipality"),
        ("municipality_code,name,concept\n41280,,a\n", "line 2: name and concept"),
        ("municipality_code,name,concept\n", "no rows"),
    ],
)
def test_evaluate_duplicates_reports_bad_files(tmp_path, content, message):
    path = tmp_path / "labels.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError, match=message):
        call_command("evaluate_duplicates", str(path))


def test_evaluate_duplicates_reports_a_missing_or_binary_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        call_command("evaluate_duplicates", str(tmp_path / "none.csv"))
    path = tmp_path / "cp949.csv"
    path.write_bytes("municipality_code,name,concept\n41280,가로등,a\n".encode("cp949"))
    with pytest.raises(CommandError, match="not UTF-8"):
        call_command("evaluate_duplicates", str(path))
