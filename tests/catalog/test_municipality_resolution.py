"""catalog.municipalities: one resolver from what people write to a local government."""

import dataclasses
import time

import pytest
from django.utils import translation

from catalog.models import Municipality
from catalog.municipalities import MunicipalityResolver, Resolution

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def korean():
    with translation.override("ko"):
        yield


@pytest.fixture
def resolver() -> MunicipalityResolver:
    return MunicipalityResolver.load()


def resolved(resolution: Resolution) -> str:
    """The code a value resolved to; fails with the resolver's own message otherwise."""
    assert resolution.municipality is not None, resolution.error
    assert resolution.error == ""
    return resolution.municipality.code


def refused(resolution: Resolution) -> str:
    assert resolution.municipality is None
    assert resolution.error
    return resolution.error


# --- codes -----------------------------------------------------------------------------------


def test_current_code_resolves_without_warning(resolver):
    resolution = resolver.resolve("41280")
    assert resolved(resolution) == "41280"
    assert resolution.warning == ""
    assert resolution.candidates == ()


def test_spaces_around_a_code_are_ignored(resolver):
    assert resolved(resolver.resolve("  41280\t")) == "41280"


def test_former_gangwon_code_resolves_to_current(resolver):
    resolution = resolver.resolve("42110")
    assert resolved(resolution) == "51110"  # 춘천시
    assert "42110" in resolution.warning
    assert "51110" in resolution.warning


def test_former_jeonbuk_code_resolves_to_current(resolver):
    resolution = resolver.resolve("45110")
    assert resolved(resolution) == "52110"  # 전주시
    assert "45110" in resolution.warning


def test_former_gunwi_code_resolves_to_daegu(resolver):
    resolution = resolver.resolve("47720")
    assert resolved(resolution) == "27720"
    assert "대구광역시 군위군" in resolution.warning


@pytest.mark.parametrize(("former", "current"), [("42000", "51000"), ("45000", "52000")])
def test_former_sido_code_resolves_to_the_renamed_sido(resolver, former, current):
    assert resolved(resolver.resolve(former)) == current


def test_ten_digit_legal_dong_code_of_a_municipality_reads_as_its_first_five_digits(resolver):
    assert resolved(resolver.resolve("4128000000")) == "41280"
    assert resolved(resolver.resolve("4211000000")) == "51110"


def test_ten_digit_code_of_an_eup_myeon_dong_is_an_error_that_says_codes_have_five_digits(
    resolver,
):
    error = refused(resolver.resolve("4128125300"))
    assert "4128125300" in error
    assert "읍·면·동" in error
    assert "5자리" in error


def test_unknown_five_digit_code_is_an_error_that_says_so(resolver):
    error = refused(resolver.resolve("99999"))
    assert error == "알 수 없는 자치단체 코드 '99999'입니다."


@pytest.mark.parametrize("value", ["1234", "412800", "41"])
def test_code_of_another_length_is_an_error_that_says_codes_have_five_digits(resolver, value):
    error = refused(resolver.resolve(value))
    assert f"'{value}'" in error
    assert "숫자 5자리" in error


def test_general_district_code_is_an_error_that_suggests_its_city(resolver):
    error = refused(resolver.resolve("41285"))  # 고양시 일산동구
    assert "고양시(41280)" in error


def test_code_read_from_a_spreadsheet_number_cell_resolves(resolver):
    assert resolved(resolver.resolve("41280.0")) == "41280"


def test_by_code_finds_current_and_former_codes(resolver):
    assert resolver.by_code("41280").name == "고양시"
    assert resolver.by_code(" 42210 ").code == "51210"  # 속초시
    assert resolver.by_code("47720").code == "27720"
    assert resolver.by_code("99999") is None
    assert resolver.by_code("") is None


# --- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("고양시", "41280"),
        ("고양", "41280"),
        ("경기 고양시", "41280"),
        ("경기도 고양시", "41280"),
        ("강원도 속초시", "51210"),
        ("강원특별자치도 속초시", "51210"),
        ("전라북도 전주시", "52110"),
        ("전북 전주시", "52110"),
        ("세종시", "36000"),
        ("세종", "36000"),
        ("세종특별자치시", "36000"),
        ("서울 종로구", "11110"),
        ("서울시 종로구", "11110"),
        ("서울특별시 종로구", "11110"),
        ("부산진구", "26230"),
        ("서울 중구", "11140"),
        ("경기 광주시", "41610"),
        ("강원 고성", "51820"),
        ("경남 고성군", "48820"),
    ],
)
def test_name_resolves_with_or_without_its_sido(resolver, value, code):
    resolution = resolver.resolve(value)
    assert resolved(resolution) == code
    assert resolution.warning == ""


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("경기도", "41000"),
        ("경기", "41000"),
        ("서울", "11000"),
        ("부산광역시", "26000"),
        ("강원도", "51000"),
        ("제주도", "50000"),
        ("전라북도", "52000"),
    ],
)
def test_sido_alone_is_that_sido(resolver, value, code):
    assert resolved(resolver.resolve(value)) == code


@pytest.mark.parametrize(
    "value",
    ["경기도고양시", "  경기도   고양시 ", "경 기 도 고 양 시", "경기도-고양시", "경기도　고양시"],
)
def test_spacing_and_punctuation_do_not_matter(resolver, value):
    assert resolved(resolver.resolve(value)) == "41280"


def test_case_and_width_do_not_matter(db):
    Municipality.objects.create(
        code="99110", name="Testville시", level="si", parent=Municipality.objects.get(code="41000")
    )
    resolver = MunicipalityResolver.load()
    assert resolved(resolver.resolve("TESTVILLE시")) == "99110"
    assert resolved(resolver.resolve("ｔｅｓｔｖｉｌｌｅ시")) == "99110"
    assert resolved(resolver.resolve("４１２８０")) == "41280"


def test_special_city_title_resolves_to_the_city(resolver):
    assert resolved(resolver.resolve("고양특례시")) == "41280"
    assert resolved(resolver.resolve("경상남도 창원특례시")) == "48120"


# --- a separate 시·도 -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "sido", "code"),
    [
        ("중구", "서울", "11140"),
        ("중구", "부산광역시", "26110"),
        ("고성", "강원도", "51820"),
        ("고성군", "경상남도", "48820"),
        ("광주", "경기도", "41610"),
        ("광주", "광주광역시", "29000"),
        ("고양시", "경기", "41280"),
        ("속초시", "강원도", "51210"),
        ("경기도 고양시", "경기도", "41280"),
        ("동구", "26000", "26170"),  # a 시·도 column may hold the 시·도's code
        ("41280", "경기", "41280"),
    ],
)
def test_separate_sido_argument_settles_the_name(resolver, value, sido, code):
    assert resolved(resolver.resolve(value, sido=sido)) == code


def test_sido_argument_that_disagrees_with_the_value_is_an_error_naming_both(resolver):
    error = refused(resolver.resolve("경기도 고양시", sido="서울"))
    assert "서울특별시" in error
    assert "경기도 고양시" in error
    assert "고양시(41280, 경기도)" in error


def test_name_not_in_the_given_sido_is_an_error_naming_both(resolver):
    error = refused(resolver.resolve("고양시", sido="서울특별시"))
    assert "서울특별시" in error
    assert "고양시(41280, 경기도)" in error


def test_ambiguous_name_not_in_the_given_sido_lists_where_it_is(resolver):
    error = refused(resolver.resolve("중구", sido="경기도"))
    assert "경기도" in error
    assert "중구(11140, 서울특별시)" in error


def test_code_not_in_the_given_sido_is_an_error_naming_both(resolver):
    error = refused(resolver.resolve("41280", sido="서울"))
    assert "서울특별시" in error
    assert "고양시(41280, 경기도)" in error


def test_unknown_sido_argument_is_an_error(resolver):
    assert "'경기주'" in refused(resolver.resolve("고양시", sido="경기주"))


def test_sido_in_the_value_that_does_not_hold_the_name_is_an_error_naming_both(resolver):
    error = refused(resolver.resolve("서울 고양시"))
    assert "서울특별시" in error
    assert "고양시(41280, 경기도)" in error


# --- 군위군 ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "sido"), [("경상북도 군위군", ""), ("경북 군위", ""), ("군위군", "경상북도")]
)
def test_gunwi_under_gyeongbuk_resolves_to_daegu_with_a_warning_that_it_moved_in_2023(
    resolver, value, sido
):
    resolution = resolver.resolve(value, sido=sido)
    assert resolved(resolution) == "27720"
    assert "2023년" in resolution.warning
    assert "대구광역시" in resolution.warning


@pytest.mark.parametrize(
    ("value", "sido"), [("대구 군위군", ""), ("군위군", "대구"), ("군위군", "")]
)
def test_gunwi_under_daegu_or_alone_resolves_without_warning(resolver, value, sido):
    resolution = resolver.resolve(value, sido=sido)
    assert resolved(resolution) == "27720"
    assert resolution.warning == ""


# --- ambiguous names -------------------------------------------------------------------------


def test_ambiguous_jung_gu_lists_candidates_with_codes(resolver):
    resolution = resolver.resolve("중구")
    error = refused(resolution)
    assert [m.code for m in resolution.candidates] == [
        "11140",
        "26110",
        "27110",
        "28110",
        "30140",
        "31110",
    ]
    assert "중구(11140, 서울특별시), 중구(26110, 부산광역시)" in error
    assert "중구(31110, 울산광역시)" in error


@pytest.mark.parametrize(
    ("value", "codes"),
    [
        ("동구", {"26170", "27140", "28140", "29110", "30110", "31170"}),
        ("서구", {"26140", "27170", "28260", "29140", "30170"}),
        ("남구", {"26290", "27200", "29155", "31140"}),
        ("북구", {"26320", "27230", "29170", "31200"}),
        ("강서구", {"11500", "26440"}),
        ("고성군", {"48820", "51820"}),
        ("고성", {"48820", "51820"}),
        ("광주", {"29000", "41610"}),
        ("광주시", {"29000", "41610"}),
    ],
)
def test_ambiguous_name_lists_every_candidate_with_code_and_sido(resolver, value, codes):
    resolution = resolver.resolve(value)
    error = refused(resolution)
    assert {m.code for m in resolution.candidates} == codes
    for m in resolution.candidates:
        assert m.code in error
        if m.parent_id:
            assert f"{m.name}({m.code}, {m.parent.name})" in error


def test_ambiguous_gwangju_names_the_metropolitan_city_and_gyeonggi_gwangju(resolver):
    error = refused(resolver.resolve("광주"))
    assert "광주광역시(29000)" in error
    assert "광주시(41610, 경기도)" in error


# --- 행정시 and 일반구 -----------------------------------------------------------------------


def test_jeju_si_resolves_to_jeju_province_with_a_warning_that_it_is_not_a_local_government(
    resolver,
):
    resolution = resolver.resolve("제주시")
    assert resolved(resolution) == "50000"
    assert resolution.warning == (
        "제주시는 행정시라 지방자치단체가 아닙니다. 제주특별자치도(50000)로 넣습니다."
    )


@pytest.mark.parametrize(
    ("value", "sido"),
    [
        ("서귀포시", ""),
        ("제주특별자치도 서귀포시", ""),
        ("제주 서귀포", ""),
        ("서귀포시", "제주도"),
    ],
)
def test_seogwipo_si_resolves_to_jeju_province_with_a_warning(resolver, value, sido):
    resolution = resolver.resolve(value, sido=sido)
    assert resolved(resolution) == "50000"
    assert resolution.warning.startswith("서귀포시는 행정시라")


@pytest.mark.parametrize(
    ("value", "code", "district"),
    [
        ("수원시 팔달구", "41110", "팔달구"),
        ("경기도 고양시 일산동구", "41280", "일산동구"),
        ("부천시 원미구", "41190", "원미구"),
        ("포항시 남구", "47110", "남구"),
        ("창원 마산합포구", "48120", "마산합포구"),
    ],
)
def test_general_district_after_its_city_resolves_to_the_city_with_a_warning(
    resolver, value, code, district
):
    resolution = resolver.resolve(value)
    assert resolved(resolution) == code
    assert resolution.warning.startswith(f"{district}는 ")
    assert "일반구" in resolution.warning
    assert code in resolution.warning


def test_general_district_alone_is_an_error_that_suggests_writing_the_city(resolver):
    error = refused(resolver.resolve("팔달구"))
    assert "일반구" in error
    assert "'수원시 팔달구'" in error
    assert "'수원시'" in error


def test_general_district_sharing_an_autonomous_gu_name_is_ambiguous_not_a_district(resolver):
    resolution = resolver.resolve("남구")  # 포항시 남구 is an 일반구; four 남구 are 자치구
    refused(resolution)
    assert len(resolution.candidates) == 4


# --- inactive municipalities ---------------------------------------------------------------


@pytest.fixture
def cheongwon(db) -> Municipality:
    """청원군, merged into 청주시 in 2014, kept as an inactive row."""
    return Municipality.objects.create(
        code="43710",
        name="청원군",
        level="gun",
        parent=Municipality.objects.get(code="43000"),
        is_active=False,
    )


@pytest.mark.parametrize("value", ["청원군", "충청북도 청원군", "43710"])
def test_inactive_municipality_resolves_with_a_warning(cheongwon, value):
    resolution = MunicipalityResolver.load().resolve(value)
    assert resolved(resolution) == "43710"
    assert "43710" in resolution.warning
    assert "폐지·통합" in resolution.warning


def test_active_municipality_wins_over_an_inactive_one_of_the_same_name(db):
    Municipality.objects.create(
        code="41730",
        name="여주군",
        level="gun",
        parent=Municipality.objects.get(code="41000"),
        is_active=False,
    )
    resolver = MunicipalityResolver.load()
    resolution = resolver.resolve("여주")  # 여주시 (active) and 여주군 (inactive)
    assert resolved(resolution) == "41670"
    assert resolution.warning == ""
    assert "폐지·통합" in resolver.resolve("여주군").warning


# --- unknown values --------------------------------------------------------------------------


def test_empty_value_is_an_error(resolver):
    assert refused(resolver.resolve("  ")) == "자치단체가 비어 있습니다."
    refused(resolver.resolve(None))


def test_unknown_name_is_an_error_naming_the_value(resolver):
    assert refused(resolver.resolve("아무개")) == "'아무개'에 해당하는 자치단체가 없습니다."


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("고양군", "고양시(41280, 경기도)"),  # another 시/군/구 ending
        ("여주군", "여주시(41670, 경기도)"),
        ("고앙시", "고양시(41280, 경기도)"),  # one letter different
        ("서울특별시 종노구", "종로구(11110, 서울특별시)"),
        ("경기도 고앙시", "고양시(41280, 경기도)"),
        ("경기두", "경기도(41000)"),
        ("광주광산군", "광산구(29200, 광주광역시)"),
    ],
)
def test_unknown_name_with_a_close_name_gives_a_did_you_mean_hint(resolver, value, hint):
    error = refused(resolver.resolve(value))
    assert error.startswith(f"'{value}'에 해당하는 자치단체가 없습니다.")
    assert "혹시" in error
    assert hint in error


def test_wrong_suffix_hint_does_not_list_unrelated_one_letter_neighbours(resolver):
    error = refused(resolver.resolve("고양군"))
    assert "단양군" not in error


# --- queries and speed -----------------------------------------------------------------------


def test_load_is_one_query(django_assert_num_queries):
    with django_assert_num_queries(1):
        resolver = MunicipalityResolver.load()
    with django_assert_num_queries(0):
        for value in ("중구", "경기도 고양시", "42110", "제주시", "고앙시", "서울 고양시"):
            resolver.resolve(value)
        resolver.resolve("군위군", sido="경상북도")
        resolver.by_code("41280")


def test_ten_thousand_resolutions_take_well_under_a_second(resolver):
    values = [
        "41280",
        "42110",
        "고양시",
        "경기도 고양시",
        "서울특별시 종로구",
        "강원도 속초시",
        "수원시 팔달구",
        "제주시",
        "중구",
        "고앙시",
    ]
    # CPU time of this process, so that tests running in parallel on a busy machine do not
    # count; one pass takes about 0.15 s.
    started = time.process_time()
    for i in range(10_000):
        resolver.resolve(values[i % len(values)])
    assert time.process_time() - started < 1.0


def test_resolution_is_immutable(resolver):
    resolution = resolver.resolve("41280")
    with pytest.raises(dataclasses.FrozenInstanceError):
        resolution.municipality = None
