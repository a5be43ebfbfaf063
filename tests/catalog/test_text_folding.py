"""One folding rule: search, import and the duplication method compare text the same way."""

import pytest

from analysis import duplication
from catalog import search, text
from catalog.importing.columns import header_key
from catalog.importing.resolve import References
from catalog.models import Service

pytestmark = pytest.mark.django_db

SPELLINGS = [
    ("스마트 가로등", "스마트가로등"),
    ("ＣＣＴＶ 관제", "cctv관제"),
    ("보건·의료·복지", "보건의료복지"),
    ("보건ㆍ의료ㆍ복지", "보건의료복지"),  # the Hangul araea, which NFKC makes a letter
    ("보건/의료/복지", "보건의료복지"),
    ("시·도", "시도"),
]


@pytest.mark.parametrize(("typed", "folded"), SPELLINGS)
def test_every_comparison_folds_a_spelling_the_same_way(typed, folded):
    assert text.compact(typed) == folded
    assert search.normalize(typed) == folded
    assert duplication.compact(typed) == folded
    assert header_key(typed) == folded


def test_field_names_typed_with_the_araea_are_found():
    refs = References()
    assert refs.category("보건ㆍ의료ㆍ복지").code == "health-welfare"
    assert refs.category("방범 / 방재").code == "safety-disaster"


def test_search_finds_a_name_written_with_the_araea(make_service):
    make_service("보건ㆍ의료 통합 안내")
    parsed = search.parse_query("보건의료")
    found = search.apply_search(Service.objects.published(), parsed)
    assert [service.name for service in found] == ["보건ㆍ의료 통합 안내"]
