"""Category shares reproduce the issue paper's table; matrices and quotients add up."""

import pytest

from analysis.shares import category_shares, municipality_matrix, share
from catalog.models import Category, Municipality, Plan, Service

pytestmark = pytest.mark.django_db

# The paper's 295 services in 10 municipalities. Published: 방범·방재 59, 교통 50,
# 환경·에너지·수자원 about 11.9 %, 행정 10.8 %, 물류 2; the rest are spread over the others.
PAPER_COUNTS = {
    "safety-disaster": 59,
    "transport": 50,
    "environment-energy-water": 35,
    "administration": 32,
    "health-welfare": 30,
    "culture-tourism-sports": 28,
    "facility-management": 24,
    "education": 12,
    "housing": 9,
    "labour-employment": 8,
    "other": 6,
    "logistics": 2,
}
PAPER_CITIES = [
    "41280",
    "48120",
    "46230",
    "41220",
    "41190",
    "48250",
    "11110",
    "26500",
    "27140",
    "44150",
]


@pytest.fixture
def paper_catalog():
    assert sum(PAPER_COUNTS.values()) == 295
    plans = [
        Plan.objects.create(municipality=Municipality.objects.get(code=code), title="기본계획")
        for code in PAPER_CITIES
    ]
    categories = {c.code: c for c in Category.objects.all()}
    services, i = [], 0
    for code, count in PAPER_COUNTS.items():
        for _ in range(count):
            services.append(
                Service(
                    plan=plans[i % 10],
                    name=f"서비스 {i}",
                    category=categories[code],
                    source_page="1",
                    is_published=True,
                )
            )
            i += 1
    Service.objects.bulk_create(services)
    return services


def test_shares_reproduce_the_papers_percentages(paper_catalog):
    shares = {
        c.code: (c.service_count, c.share) for c in category_shares(Service.objects.published())
    }
    assert shares["safety-disaster"] == (59, 20.0)
    assert shares["transport"] == (50, 16.9)
    assert shares["logistics"] == (2, 0.7)
    assert shares["environment-energy-water"] == (35, 11.9)
    assert shares["administration"] == (32, 10.8)
    assert sum(count for count, _ in shares.values()) == 295


def test_shares_follow_the_scope(paper_catalog):
    one_city = Service.objects.published().filter(plan__municipality__code="41280")
    shares = category_shares(one_city)
    assert sum(c.service_count for c in shares) == 30  # 295 spread over 10 cities
    assert round(sum(c.share for c in shares)) == 100


def test_share_rounds_half_up_and_survives_an_empty_scope():
    assert share(1, 8) == 12.5
    assert share(1, 6) == 16.7
    assert share(0, 0) == 0.0


def test_matrix_rows_add_up_and_quotients_compare_with_the_nation(make_service, goyang):
    transport = Category.objects.get(code="transport")
    make_service("가", category=transport)
    make_service("나")  # 방범·방재
    gimhae_plan = Plan.objects.create(
        municipality=Municipality.objects.get(code="48250"), title="김해 계획"
    )
    make_service("다", plan=gimhae_plan)
    services = Service.objects.published()
    matrix = municipality_matrix(services, services)
    rows = {row.municipality.code: row for row in matrix.rows}
    assert set(rows) == {"41280", "48250"}
    goyang_cells = {cell.category.code: cell for cell in rows["41280"].cells}
    assert goyang_cells["transport"].count == 1
    assert goyang_cells["transport"].share == 50.0
    # National transport share is 1/3 = 33.3 %; 고양 plans 50 %: quotient 1.5.
    assert goyang_cells["transport"].quotient == 1.5
    assert goyang_cells["education"].quotient is None
    assert goyang_cells["education"].heat == 0
    assert goyang_cells["transport"].heat > 0


def test_location_quotient_comes_from_counts_not_rounded_shares():
    from analysis.shares import location_quotient

    # 1 of 3 locally (33.33 %) against 1 of 7 nationally (14.29 %): exactly 2.33.
    assert location_quotient(1, 3, 1, 7) == 2.33
    assert location_quotient(0, 3, 1, 7) == 0.0
    assert location_quotient(1, 3, 0, 7) is None
    assert location_quotient(1, 0, 1, 7) is None


def test_matrix_runs_a_fixed_number_of_queries(paper_catalog, django_assert_num_queries):
    services = Service.objects.published()
    # The revision (three reads: before and after the catalog's one read, and for the shares),
    # the catalog, the fields and the municipalities.
    with django_assert_num_queries(6):
        matrix = municipality_matrix(services, services)
    assert len(matrix.rows) == 10
