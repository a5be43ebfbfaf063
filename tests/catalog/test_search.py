"""Korean search: the same cases, the same answers, on SQLite and on PostgreSQL."""

import pytest

from catalog.models import Category, Service
from catalog.search import apply_search, normalize, parse_query, stem

pytestmark = pytest.mark.django_db

SERVICES = {
    "스마트 가로등": "LED 가로등을 원격으로 끄고 켠다",
    "스마트가로등 설치": "",
    "공영주차장 주차면 안내": "빈 주차면을 실시간으로 알려 준다",
    "위해 조류 퇴치시스템": "음파로 새를 쫓는다",
    "지능형 CCTV 관제": "어린이 보호구역 방범",
    "녹조 감시": "하천의 조류 농도를 측정한다",  # 조류 in the description only
    "드론 배송": "",
    "스마트 횡단보도": "보행 신호 연동 LED 바닥조명",
}


@pytest.fixture
def catalog(make_service):
    return {name: make_service(name, description=text) for name, text in SERVICES.items()}


def found(query: str) -> list[str]:
    results = apply_search(Service.objects.all(), parse_query(query))
    return sorted(results.values_list("name", flat=True))


def ranked(query: str) -> list[str]:
    results = apply_search(Service.objects.all(), parse_query(query))
    return list(results.order_by("-relevance", "name").values_list("name", flat=True))


def test_two_syllable_words_are_found(catalog):
    assert found("주차") == ["공영주차장 주차면 안내"]
    assert found("조류") == ["녹조 감시", "위해 조류 퇴치시스템"]


def test_any_substring_of_a_name_or_description_is_found(catalog):
    assert found("퇴치") == ["위해 조류 퇴치시스템"]
    assert found("실시간으로") == ["공영주차장 주차면 안내"]
    assert found("면안") == ["공영주차장 주차면 안내"]


@pytest.mark.parametrize(
    "query", ["스마트가로등", "스마트 가로등", "스마트가로등설치", "스마트 가로등 설치"]
)
def test_spacing_does_not_matter(catalog, query):
    assert found(query) == ["스마트 가로등", "스마트가로등 설치"]


@pytest.mark.parametrize(("query", "expected"), [("가로등을", "가로등"), ("주차장에서", "주차장")])
def test_trailing_particles_are_tolerated(catalog, query, expected):
    assert found(query) == found(expected)
    assert found(query)


def test_latin_letters_ignore_case(catalog):
    assert found("cctv") == found("CCTV") == ["지능형 CCTV 관제"]
    assert found("led") == ["스마트 가로등", "스마트 횡단보도"]


def test_every_term_must_match(catalog):
    assert found("LED 가로등") == ["스마트 가로등"]
    assert found("가로등 드론") == []


def test_name_matches_rank_above_description_matches(catalog):
    assert ranked("조류") == ["위해 조류 퇴치시스템", "녹조 감시"]


def test_short_words_ending_like_a_particle_stay_whole():
    assert stem("주차") == "주차"
    assert stem("도로") == "도로"
    assert stem("통학로") == "통학로"


@pytest.mark.parametrize(
    "query",
    [
        "'; DROP TABLE catalog_service; --",
        "<script>alert(1)</script>",
        "\x00\x01\x1f제어\x7f문자",
        "가" * 5000,
        "스마트 " * 400,
        '" OR "1"="1',
        "NEAR(가로 등)",
        "*",
        "   ",
        "🚦 신호",
    ],
)
def test_any_query_is_safe(catalog, query):
    results = apply_search(Service.objects.all(), parse_query(query))
    assert isinstance(list(results), list)


def test_a_query_of_only_symbols_filters_nothing(catalog):
    assert not parse_query("!!! ---")
    assert apply_search(Service.objects.all(), parse_query("!!!")).count() == len(SERVICES)


def test_search_follows_edits(catalog):
    service = Service.objects.get(name="드론 배송")
    service.name = "드론 택배"
    service.save()
    assert found("택배") == ["드론 택배"]
    assert found("배송") == []


def test_search_follows_edits_saved_with_update_fields(catalog):
    service = Service.objects.get(name="드론 배송")
    service.description = "섬 지역 의약품"
    service.save(update_fields=["description"])
    assert found("의약품") == ["드론 배송"]


def test_deleted_services_leave_the_index(catalog):
    Service.objects.filter(name="드론 배송").delete()
    assert found("드론") == []


def test_normalisation_folds_width_case_and_spacing():
    assert normalize("ＣＣＴＶ 관제") == "cctv관제"
    assert normalize("스마트  가로등\t설치") == "스마트가로등설치"


def test_decomposed_hangul_is_found(catalog):
    import unicodedata

    assert found(unicodedata.normalize("NFD", "주차")) == ["공영주차장 주차면 안내"]


def test_long_queries_are_cut_to_a_fixed_number_of_terms():
    assert len(parse_query(" ".join(f"단어{i}" for i in range(50))).terms) == 8


def test_search_reaches_services_of_every_category(make_service):
    for category in Category.objects.all():
        make_service(f"{category.name_ko} 테스트 서비스", category=category)
    assert len(found("테스트")) == 12


def test_rebuild_command_repairs_rows_changed_behind_the_models_back(catalog, capsys):
    from django.core.management import call_command

    Service.objects.filter(name="드론 배송").update(name="드론 택배")
    assert found("택배") == []
    call_command("rebuild_search_index", "--dry-run")
    assert "1 services would be updated" in capsys.readouterr().out
    assert found("택배") == []
    call_command("rebuild_search_index")
    assert found("택배") == ["드론 택배"]
    call_command("rebuild_search_index")
    assert "0 services updated" in capsys.readouterr().out
