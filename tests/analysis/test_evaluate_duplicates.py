"""manage.py evaluate_duplicates reads its municipality_code column through the resolver, and
scores the held-out labelled file."""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from analysis import duplication
from analysis.method_notes import MEASURED_QUALITY

pytestmark = pytest.mark.django_db

HEADER = "municipality_code,name,concept\n"
HOLDOUT = Path(__file__).with_name("labelled_holdout.csv")


@pytest.fixture(autouse=True)
def korean():
    with translation.override("ko"):
        yield


@pytest.fixture
def labels(tmp_path):
    """labels("42110,스마트 가로등,a", …) → the path of a CSV with those rows."""

    def write(*rows: str):
        path = tmp_path / "labels.csv"
        path.write_text(HEADER + "".join(f"{row}\n" for row in rows), encoding="utf-8")
        return str(path)

    return write


@pytest.fixture
def records(monkeypatch):
    """The records the command hands to the method, captured."""
    seen = []
    evaluate = duplication.evaluate

    def spy(labelled, params):
        labelled = list(labelled)
        seen.extend(record for record, _ in labelled)
        return evaluate(labelled, params)

    monkeypatch.setattr(duplication, "evaluate", spy)
    return seen


def test_former_codes_give_records_with_the_current_code_and_name(labels, records):
    call_command(
        "evaluate_duplicates",
        labels("42110,스마트 가로등,a", "45110,스마트 버스정류장,b", "47720,드론 방범,c"),
        "--json",
    )
    assert [(r.municipality_code, r.municipality_name) for r in records] == [
        ("51110", "강원특별자치도 춘천시"),
        ("52110", "전북특별자치도 전주시"),
        ("27720", "대구광역시 군위군"),
    ]


def test_a_former_and_a_current_code_are_one_municipality_when_pairs_are_counted(labels, capsys):
    call_command(
        "evaluate_duplicates",
        labels("42110,스마트 가로등,a", "51110,스마트가로등,a", "41280,스마트 가로등 설치,a"),
        "--json",
    )
    scores = json.loads(capsys.readouterr().out)
    # 춘천시 twice and 고양시 once: two pairs across municipalities, not three.
    assert scores["pairs"]["true"] == 2


def test_a_former_code_is_reported_with_its_line_and_the_current_code(labels, capsys):
    call_command("evaluate_duplicates", labels("41280,스마트 가로등,a", "42110,스마트 가로등,a"))
    err = capsys.readouterr().err
    assert "line 3:" in err
    assert "42110" in err
    assert "51110" in err
    assert "line 2" not in err


def test_codes_with_spaces_and_ten_digit_codes_are_read(labels, records):
    call_command(
        "evaluate_duplicates", labels(" 41280 ,스마트 가로등,a", "4128000000,스마트 가로등,a")
    )
    assert [r.municipality_code for r in records] == ["41280", "41280"]


def test_a_name_in_the_code_column_is_read_as_that_municipality(labels, records):
    call_command("evaluate_duplicates", labels("경기도 고양시,스마트 가로등,a"))
    assert [(r.municipality_code, r.municipality_name) for r in records] == [
        ("41280", "경기도 고양시")
    ]


@pytest.mark.parametrize(
    ("row", "messages"),
    [
        ("99999,가로등,a", ["line 3: unknown municipality '99999'", "알 수 없는 자치단체 코드"]),
        ("4128,가로등,a", ["line 3: unknown municipality '4128'", "숫자 5자리"]),
        ("중구,가로등,a", ["line 3: ambiguous municipality '중구'", "중구(11140, 서울특별시)"]),
        ("팔달구,가로등,a", ["line 3: unknown municipality '팔달구'", "'수원시 팔달구'"]),
        (",가로등,a", ["line 3: unknown municipality ''", "비어 있습니다"]),
    ],
)
def test_a_bad_municipality_is_an_error_with_its_line_and_the_reason(labels, row, messages):
    with pytest.raises(CommandError) as raised:
        call_command("evaluate_duplicates", labels("41280,스마트 가로등,a", row))
    for message in messages:
        assert message in str(raised.value)


def test_the_file_costs_one_query_whatever_its_length(labels, django_assert_num_queries):
    rows = [f"{code},스마트 가로등 {i},a" for i, code in enumerate(["41280", "42110"] * 50)]
    path = labels(*rows)
    with django_assert_num_queries(1):
        call_command("evaluate_duplicates", path, "--json")


def test_the_held_out_file_keeps_its_measured_figures(capsys):
    """Names kept apart from all tuning, scored once with the method, its parameters and its
    lexicon frozen (method version 3): precision 0.923, recall 0.428, F1 0.585, pairs 530
    true / 246 predicted / 227 correct. Never choose anything on this file."""
    call_command("evaluate_duplicates", str(HOLDOUT), "--split", "holdout", "--json")
    scores = json.loads(capsys.readouterr().out)
    published = MEASURED_QUALITY[1]  # the figure /analysis/method/ and README report
    assert (scores["records"], scores["concepts"]) == (published.names, published.concepts)
    for figure in ("precision", "recall", "f1"):
        assert scores[figure] == pytest.approx(getattr(published, figure), abs=0.0005)
