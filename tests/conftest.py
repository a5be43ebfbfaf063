import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.utils import translation

from analysis import idea_table
from catalog import facet_index, lookalikes
from catalog.models import Category, Municipality, Plan, Service


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the reference data, as every deployment does."""
    with django_db_blocker.unblock():
        call_command("load_reference_data", verbosity=0)


@pytest.fixture(autouse=True)
def site_language(settings):
    """Each test starts in the site's language, whatever a page asked in English left active
    in this thread."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with empty caches, so cached figures never leak between tests."""
    for store in caches.all():
        store.clear()
    # Held in the process, keyed by revision numbers that tests reuse.
    lookalikes.clear()
    facet_index.clear()
    idea_table.clear()


@pytest.fixture
def demo_data(db):
    call_command("load_demo_data", verbosity=0)


@pytest.fixture
def goyang(db) -> Municipality:
    return Municipality.objects.get(code="41280")


@pytest.fixture
def plan(goyang) -> Plan:
    return Plan.objects.create(
        municipality=goyang, title="고양시 스마트도시계획", start_year=2024, end_year=2028
    )


@pytest.fixture
def make_service(plan):
    """Build a published service; keyword arguments override any field."""

    def make(name: str = "스마트 가로등", **fields) -> Service:
        fields.setdefault("plan", plan)
        fields.setdefault("category", Category.objects.get(code="safety-disaster"))
        fields.setdefault("source_page", "12")
        fields.setdefault("is_published", True)
        return Service.objects.create(name=name, **fields)

    return make


# Five cities planning the same ideas in other words (the analysis and compare tests).
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


def pytest_report_header(config):
    from django.db import connection

    return f"database: {connection.vendor} ({connection.settings_dict['NAME']})"
