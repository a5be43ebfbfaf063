import pytest

from catalog.models import Category, Municipality, Plan, Service


@pytest.fixture
def add_in_year(db):
    """add_in_year("41280", 2019, "스마트 횡단보도") → a published service of that city, in its
    plan starting that year (any municipality of the reference data)."""
    transport = Category.objects.get(code="transport")

    def make(code: str, year: int | None, name: str, **fields) -> Service:
        plan, _created = Plan.objects.get_or_create(
            municipality=Municipality.objects.get(code=code),
            start_year=year,
            defaults={"title": f"스마트도시계획 {year}"},
        )
        fields.setdefault("category", transport)
        fields.setdefault("is_published", True)
        return Service.objects.create(plan=plan, name=name, source_page="1", **fields)

    return make
