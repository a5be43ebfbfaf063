import pytest
from django.core.cache import caches
from django.core.management import call_command

from catalog import facet_index, lookalikes
from catalog.models import Category, Municipality, Plan, Service


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Every test database starts with the reference data, as every deployment does."""
    with django_db_blocker.unblock():
        call_command("load_reference_data", verbosity=0)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with empty caches, so cached figures never leak between tests."""
    for store in caches.all():
        store.clear()
    # Held in the process, keyed by revision numbers that tests reuse.
    lookalikes.clear()
    facet_index.clear()


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


def pytest_report_header(config):
    from django.db import connection

    return f"database: {connection.vendor} ({connection.settings_dict['NAME']})"
