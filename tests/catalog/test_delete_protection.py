"""Rows that others depend on are refused deletion with a message, never cascaded.

Municipalities, plans, fields and sub-groups are protected by their foreign keys
(``on_delete=PROTECT``), so the ORM refuses too. A tag is a many-to-many label: the admin
refuses to delete one that services carry and lists them; an unused tag can be deleted.
"""

import pytest
from django.contrib.auth.models import User
from django.db.models import ProtectedError
from django.urls import reverse

from catalog.models import (
    Category,
    EditorAssignment,
    Municipality,
    Plan,
    Service,
    SubCategory,
    Tag,
)

pytestmark = pytest.mark.django_db

# Django's Korean wording on the delete pages when protected rows stand in the way.
PROTECTED_NOTICE = "다음 보호상태의 연관된 오브젝트들을 삭제해야 합니다"


@pytest.fixture
def service(make_service) -> Service:
    parking = SubCategory.objects.get(code="transport-parking")
    made = make_service(
        "공영주차장 안내", category=parking.category, subcategory=parking, source_page="7"
    )
    made.tags.add(Tag.objects.get(slug="iot"))
    return made


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def with_an_editor_only(service) -> Municipality:
    suwon = Municipality.objects.get(code="41110")
    EditorAssignment.objects.create(user=User.objects.create_user("editor"), municipality=suwon)
    return suwon


def with_a_sub_group_only(service) -> Category:
    housing = Category.objects.get(code="housing")
    SubCategory.objects.create(
        category=housing, code="housing-smart-home", name_ko="스마트홈", name_en="Smart home"
    )
    return housing


PROTECTED = {
    "municipality-with-plans": lambda service: service.plan.municipality,
    "sido-with-children": lambda service: Municipality.objects.get(code="11000"),
    "municipality-with-an-editor": with_an_editor_only,
    "plan-with-services": lambda service: service.plan,
    "field-with-services": lambda service: Category.objects.get(code="safety-disaster"),
    "field-with-sub-groups": with_a_sub_group_only,
    "sub-group-with-services": lambda service: service.subcategory,
}


def row_counts() -> dict[str, int]:
    models = [Municipality, Plan, Service, Category, SubCategory, EditorAssignment]
    return {
        **{model.__name__: model.objects.count() for model in models},
        "tags": Service.tags.through.objects.count(),
    }


@pytest.fixture
def safety_service(make_service):
    """A service in a field without sub-groups, so that only services protect it."""
    return make_service("방범 CCTV")


@pytest.mark.parametrize("case", PROTECTED)
def test_the_orm_refuses_to_delete_what_others_depend_on(service, safety_service, case):
    row = PROTECTED[case](service)
    before = row_counts()
    with pytest.raises(ProtectedError):
        row.delete()
    assert row_counts() == before


def admin_url(row, view: str, *args) -> str:
    return reverse(f"admin:catalog_{row._meta.model_name}_{view}", args=args)


PROTECTED_IN_ADMIN = {
    **PROTECTED,
    "tag-on-services": lambda service: service.tags.get(),
}


@pytest.mark.parametrize("case", PROTECTED_IN_ADMIN)
def test_the_delete_page_explains_and_deletes_nothing(staff_client, service, safety_service, case):
    row = PROTECTED_IN_ADMIN[case](service)
    before = row_counts()
    url = admin_url(row, "delete", row.pk)

    page = staff_client.get(url)
    confirmed = staff_client.post(url, {"post": "yes"})

    assert page.context["protected"]
    assert PROTECTED_NOTICE in page.text
    assert confirmed.status_code == 200
    assert PROTECTED_NOTICE in confirmed.text
    assert type(row).objects.filter(pk=row.pk).exists()
    assert row_counts() == before


@pytest.mark.parametrize("case", PROTECTED_IN_ADMIN)
def test_the_bulk_delete_action_explains_and_deletes_nothing(
    staff_client, service, safety_service, case
):
    row = PROTECTED_IN_ADMIN[case](service)
    before = row_counts()
    action = {"action": "delete_selected", "_selected_action": [row.pk]}

    page = staff_client.post(admin_url(row, "changelist"), action)
    confirmed = staff_client.post(admin_url(row, "changelist"), {**action, "post": "yes"})

    assert page.context["protected"]
    assert PROTECTED_NOTICE in page.text
    assert PROTECTED_NOTICE in confirmed.text
    assert type(row).objects.filter(pk=row.pk).exists()
    assert row_counts() == before


def test_the_tag_page_names_the_services_that_carry_it(staff_client, service):
    tag = service.tags.get()
    page = staff_client.get(admin_url(tag, "delete", tag.pk))
    assert f"서비스: {service.name}" in page.context["protected"]


def test_an_unused_tag_can_be_deleted(staff_client, service):
    unused = Tag.objects.exclude(services=service).first()
    response = staff_client.post(admin_url(unused, "delete", unused.pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Tag.objects.filter(pk=unused.pk).exists()
    assert service.tags.count() == 1
