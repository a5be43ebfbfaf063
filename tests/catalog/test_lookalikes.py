"""The same idea elsewhere, at entry (catalog.lookalikes): published services of other
municipalities whose names look like a name being entered."""

import pytest
from django.db import transaction

from analysis.duplication import Parameters, normalise_name
from catalog import lookalikes
from catalog.lookalikes import Lookalike, find_lookalikes
from catalog.models import Municipality, Plan

pytestmark = pytest.mark.django_db

GOYANG, CHANGWON, GWANGYANG, PYEONGTAEK, BUCHEON, SUWON = (
    "41280",
    "48120",
    "46230",
    "41220",
    "41190",
    "41110",
)


@pytest.fixture(autouse=True)
def fresh_index():
    """Revision numbers repeat between tests (each test is rolled back): start from nothing."""
    lookalikes.clear()
    yield
    lookalikes.clear()


@pytest.fixture
def plan_of(db):
    plans = {}

    def plan_of(code: str) -> Plan:
        if code not in plans:
            plans[code] = Plan.objects.create(
                municipality=Municipality.objects.get(code=code), title="스마트도시계획"
            )
        return plans[code]

    return plan_of


@pytest.fixture
def publish(make_service, plan_of):
    """A published service of the municipality ``code``."""

    def publish(code: str, name: str, **fields):
        return make_service(name, plan=plan_of(code), **fields)

    return publish


def names(found: list[Lookalike]) -> list[str]:
    return [lookalike.name for lookalike in found]


def test_a_near_identical_name_in_another_municipality_is_found(publish):
    light = publish(CHANGWON, "스마트 가로등")
    publish(GWANGYANG, "공영주차장 주차정보 안내")

    [found] = find_lookalikes([("스마트가로등 설치", GOYANG)])

    assert found == [
        Lookalike(
            service_id=light.pk,
            name="스마트 가로등",
            municipality_code=CHANGWON,
            municipality_name="경상남도 창원시",
            similarity=1.0,
            url=light.get_absolute_url(),
        )
    ]
    [[parking]] = find_lookalikes([("공영 주차장 주차 정보", GOYANG)])
    assert parking.name == "공영주차장 주차정보 안내"
    assert Parameters().similarity_threshold <= parking.similarity < 1.0
    assert parking.municipality_name == str(Municipality.objects.get(code=GWANGYANG))


def test_names_that_normalise_to_the_same_text_score_one(publish):
    assert normalise_name("지능형 CCTV 관제 시스템") == normalise_name("CCTV관제")
    publish(CHANGWON, "지능형 CCTV 관제 시스템")
    publish(GWANGYANG, "CCTV 통합 관제센터")

    [found] = find_lookalikes([("CCTV관제", GOYANG)])

    assert names(found) == ["지능형 CCTV 관제 시스템", "CCTV 통합 관제센터"]
    assert found[0].similarity == 1.0
    assert found[1].similarity < 1.0


def test_the_entrys_own_municipality_is_never_returned(publish):
    publish(GOYANG, "스마트 가로등")
    publish(GOYANG, "스마트 가로등 원격 제어")

    assert find_lookalikes([("스마트 가로등", GOYANG)]) == [[]]

    publish(CHANGWON, "스마트가로등")
    [found] = find_lookalikes([("스마트 가로등", GOYANG)])
    assert [lookalike.municipality_code for lookalike in found] == [CHANGWON]
    # the same name from another city (or an unknown one) does see 고양시's services
    [from_elsewhere] = find_lookalikes([("스마트 가로등", SUWON)])
    assert {lookalike.municipality_code for lookalike in from_elsewhere} == {GOYANG, CHANGWON}
    [unknown] = find_lookalikes([("스마트 가로등", "")])
    assert {lookalike.municipality_code for lookalike in unknown} == {GOYANG, CHANGWON}


def test_drafts_are_never_returned(publish):
    publish(CHANGWON, "스마트 가로등", is_published=False)

    assert find_lookalikes([("스마트 가로등", GOYANG)]) == [[]]


def test_at_most_limit_results_most_similar_first(publish):
    publish(CHANGWON, "스마트 버스정류장 조성")
    publish(GWANGYANG, "버스정류장 냉난방 쉼터")
    publish(PYEONGTAEK, "스마트 버스 정류장")
    publish(BUCHEON, "버스정류장 도착 안내")
    publish(SUWON, "버스정류장 미세먼지 차단")

    [found] = find_lookalikes([("스마트버스정류장", GOYANG)])

    assert len(found) == 3
    similarities = [lookalike.similarity for lookalike in found]
    assert similarities == sorted(similarities, reverse=True)
    # both exact matches first, the lower id first
    assert names(found[:2]) == ["스마트 버스정류장 조성", "스마트 버스 정류장"]
    assert similarities[:2] == [1.0, 1.0]
    assert similarities[2] < 1.0
    [[best]] = find_lookalikes([("스마트버스정류장", GOYANG)], limit=1)
    assert best == found[0]
    assert len(find_lookalikes([("스마트버스정류장", GOYANG)], limit=10)[0]) == 5
    assert find_lookalikes([("스마트버스정류장", GOYANG)], limit=0) == [[]]


def test_one_service_per_municipality_its_most_similar(publish):
    publish(CHANGWON, "버스정류장 도착 안내")
    exact = publish(CHANGWON, "스마트 버스정류장")
    publish(GWANGYANG, "스마트 버스정류장")

    [found] = find_lookalikes([("스마트 버스정류장", GOYANG)])

    assert [(lookalike.municipality_code, lookalike.similarity) for lookalike in found] == [
        (CHANGWON, 1.0),
        (GWANGYANG, 1.0),
    ]
    assert found[0].service_id == exact.pk


def test_unrelated_names_give_an_empty_list(publish):
    publish(CHANGWON, "스마트 가로등")
    publish(GWANGYANG, "공영주차장 주차정보 안내")

    assert find_lookalikes([("드론 배송", GOYANG), ("하천 수위 감시", "")]) == [[], []]
    # nothing left to compare once generic words are gone, or no name at all
    assert find_lookalikes([("스마트 서비스", GOYANG), ("", GOYANG), ("  ", "")]) == [[], [], []]


def test_one_list_per_entry_in_order(publish):
    publish(CHANGWON, "스마트 가로등")
    publish(GWANGYANG, "드론 배송")

    found = find_lookalikes(
        [
            ("드론배송", GOYANG),
            ("모르는 이름", GOYANG),
            ("스마트 가로등", GOYANG),
            ("드론 배송", ""),
        ]
    )

    assert [names(row) for row in found] == [["드론 배송"], [], ["스마트 가로등"], ["드론 배송"]]
    assert find_lookalikes([]) == []


def test_an_empty_catalog_gives_empty_lists(db):
    assert find_lookalikes([("스마트 가로등", GOYANG)]) == [[]]


def test_the_index_is_rebuilt_after_the_catalog_changes(
    publish, django_capture_on_commit_callbacks
):
    publish(CHANGWON, "스마트 가로등")
    with django_capture_on_commit_callbacks(execute=True):
        assert names(find_lookalikes([("드론 배송", GOYANG)])[0]) == []

    drone = publish(GWANGYANG, "드론 배송")
    assert names(find_lookalikes([("드론 배송", GOYANG)])[0]) == ["드론 배송"]

    drone.is_published = False
    drone.save()
    assert find_lookalikes([("드론 배송", GOYANG)]) == [[]]


def test_a_call_reads_the_revision_only_once_the_index_is_built(
    publish, django_assert_num_queries, django_capture_on_commit_callbacks
):
    publish(CHANGWON, "스마트 가로등")
    publish(GWANGYANG, "드론 배송")
    entries = [("스마트 가로등", GOYANG), ("드론 배송", GOYANG)] * 50

    # revision, municipalities, published services
    with django_assert_num_queries(3), django_capture_on_commit_callbacks(execute=True):
        first = find_lookalikes(entries)
    with django_assert_num_queries(1):  # revision
        assert find_lookalikes(entries) == first
    assert names(first[0]) == ["스마트 가로등"]


def test_an_index_read_in_a_rolled_back_transaction_is_never_served(
    publish, django_capture_on_commit_callbacks
):
    publish(CHANGWON, "스마트 가로등")
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            publish(GWANGYANG, "드론 배송")
            assert names(find_lookalikes([("드론 배송", GOYANG)])[0]) == ["드론 배송"]
            transaction.set_rollback(True)
        # the same revision number again, other rows
        publish(PYEONGTAEK, "하천 수위 감시")

        found = find_lookalikes([("드론 배송", GOYANG), ("하천 수위 감시", GOYANG)])

    assert [names(row) for row in found] == [[], ["하천 수위 감시"]]


def test_a_new_word_is_not_scored_as_if_it_were_absent(publish):
    publish(CHANGWON, "가로등 원격 제어")

    [[plain]] = find_lookalikes([("가로등 원격 제어", GOYANG)])
    [[longer]] = find_lookalikes([("가로등 원격 제어 및 에너지 절감 모니터링", GOYANG)])

    assert plain.similarity == 1.0
    assert longer.similarity < 0.9
