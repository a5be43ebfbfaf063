import pytest

from catalog.models import Category, Municipality, Plan, Service

CITIES = {
    "41280": "고양시",
    "48250": "김해시",
    "27140": "대구 동구",
    "27290": "대구 달서구",
    "47210": "영주시",
}


@pytest.fixture
def city_plans(db) -> dict[str, Plan]:
    return {
        code: Plan.objects.create(
            municipality=Municipality.objects.get(code=code), title="스마트도시계획"
        )
        for code in CITIES
    }


@pytest.fixture
def add(city_plans):
    """add("41280", "스마트 횡단보도") → a published service of that city."""
    transport = Category.objects.get(code="transport")

    def make(code: str, name: str, **fields) -> Service:
        fields.setdefault("category", transport)
        fields.setdefault("is_published", True)
        return Service.objects.create(plan=city_plans[code], name=name, source_page="1", **fields)

    return make


@pytest.fixture
def copied_ideas(add):
    """Two ideas copied across cities, and services found in one city only."""
    return {
        "crossing": [
            add("41280", "스마트 횡단보도"),
            add("48250", "스마트횡단보도"),
            add("27140", "스마트횡단보도 설치"),
        ],
        "bus_stop": [add("27290", "스마트 버스정류장"), add("47210", "스마트버스정류장")],
        "alone": [
            add("41280", "위해 조류 퇴치시스템"),
            add("48250", "ICT 융복합 시설원예 스마트팜"),
            add("27290", "하천 염도측정"),
        ],
    }
