"""The database itself refuses data that breaks the catalog's rules."""

import pytest
from django.core.exceptions import ValidationError
from django.db import DataError, IntegrityError, transaction
from django.db.models import ProtectedError

from catalog.models import Category, Municipality, Plan, Service, SubCategory, Tag

pytestmark = pytest.mark.django_db


def assert_refused(create):
    # PostgreSQL reports an over-long value as a DataError, SQLite as a CHECK failure.
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        create()


@pytest.fixture
def gyeonggi():
    return Municipality.objects.get(code="41000")


def test_municipality_code_is_unique(gyeonggi):
    assert_refused(
        lambda: Municipality.objects.create(
            code="41280", name="다른 시", level="si", parent=gyeonggi
        )
    )


@pytest.mark.parametrize("code", ["4128", "412800", "4128A", "     "])
def test_municipality_code_is_five_digits(gyeonggi, code):
    assert_refused(
        lambda: Municipality.objects.create(code=code, name="새 시", level="si", parent=gyeonggi)
    )


@pytest.mark.parametrize("name", ["", "   "])
def test_municipality_name_cannot_be_blank(gyeonggi, name):
    assert_refused(
        lambda: Municipality.objects.create(code="41999", name=name, level="si", parent=gyeonggi)
    )


def test_municipality_level_must_be_known(gyeonggi):
    assert_refused(
        lambda: Municipality.objects.create(
            code="41999", name="새 시", level="town", parent=gyeonggi
        )
    )


def test_sido_has_no_parent_and_others_have_one(gyeonggi):
    assert_refused(
        lambda: Municipality.objects.create(
            code="99000", name="새 도", level="sido", parent=gyeonggi
        )
    )
    assert_refused(lambda: Municipality.objects.create(code="41999", name="새 시", level="si"))


def test_same_name_may_repeat_under_different_codes():
    assert Municipality.objects.filter(name="동구").count() >= 5


def test_plan_start_year_cannot_follow_end_year(goyang):
    assert_refused(
        lambda: Plan.objects.create(
            municipality=goyang, title="계획", start_year=2030, end_year=2025
        )
    )


def test_plan_with_one_year_or_open_period_is_accepted(goyang):
    Plan.objects.create(municipality=goyang, title="단년", start_year=2025, end_year=2025)
    Plan.objects.create(municipality=goyang, title="종료 미정", start_year=2025)
    Plan.objects.create(municipality=goyang, title="기간 미상")
    assert goyang.plans.count() == 3


@pytest.mark.parametrize("year", [1200, 3000])
def test_plan_year_must_be_plausible(goyang, year):
    assert_refused(lambda: Plan.objects.create(municipality=goyang, title="계획", start_year=year))


def test_plan_title_is_unique_per_municipality_only(goyang, plan):
    assert_refused(lambda: Plan.objects.create(municipality=goyang, title=plan.title))
    other = Municipality.objects.get(code="48250")  # 김해시
    Plan.objects.create(municipality=other, title=plan.title)


def test_plan_title_cannot_be_blank(goyang):
    assert_refused(lambda: Plan.objects.create(municipality=goyang, title=" "))


def test_plan_kind_must_be_known(goyang):
    assert_refused(lambda: Plan.objects.create(municipality=goyang, title="계획", kind="dream"))


def test_service_name_once_per_plan(make_service, goyang):
    make_service("스마트 가로등")
    assert_refused(lambda: make_service("스마트 가로등"))
    other_plan = Plan.objects.create(municipality=goyang, title="다른 계획")
    make_service("스마트 가로등", plan=other_plan)


@pytest.mark.parametrize("name", ["", "  "])
def test_service_name_cannot_be_blank(make_service, name):
    assert_refused(lambda: make_service(name))


def test_service_must_cite_a_source(make_service):
    assert_refused(lambda: make_service(source_page="", source_url="", source_note=""))
    make_service("출처 URL만", source_page="", source_url="https://example.org/plan.pdf")
    make_service("메모만", source_page="", source_note="2024 계획서 표 3-2")


def test_service_status_must_be_known(make_service):
    assert_refused(lambda: make_service(status="dreaming"))


def test_tag_names_are_unique_ignoring_case():
    assert_refused(lambda: Tag.objects.create(slug="cctv-2", name="cctv", kind="technology"))


def test_category_codes_and_names_are_unique():
    assert_refused(
        lambda: Category.objects.create(code="transport", name_ko="교통2", name_en="T2", order=99)
    )
    assert_refused(
        lambda: Category.objects.create(code="transport-2", name_ko="교통", name_en="T2", order=99)
    )


def test_subcategory_must_belong_to_the_services_category(make_service):
    parking = SubCategory.objects.get(code="transport-parking")
    service = make_service(subcategory=parking)  # category is 방범·방재
    with pytest.raises(ValidationError) as excinfo:
        service.full_clean()
    assert "subcategory" in excinfo.value.message_dict


def test_validation_reports_constraint_messages_in_korean(make_service):
    make_service("스마트 가로등")
    duplicate = Service(
        plan=Service.objects.get().plan,
        name="스마트 가로등",
        category=Category.objects.get(code="transport"),
        source_page="3",
    )
    with pytest.raises(ValidationError) as excinfo:
        duplicate.full_clean()
    assert "이 계획에 같은 이름의 서비스가 이미 있습니다." in str(excinfo.value)


@pytest.mark.parametrize("victim", ["plan", "municipality", "category"])
def test_rows_others_depend_on_cannot_be_deleted(make_service, victim):
    service = make_service()
    target = {
        "plan": service.plan,
        "municipality": service.plan.municipality,
        "category": service.category,
    }[victim]
    with pytest.raises(ProtectedError), transaction.atomic():
        target.delete()
    assert Service.objects.filter(pk=service.pk).exists()
