"""A plan's service table in the admin: tags and sub-groups on each line, description and
source note folded, and a service opened from the table returns to its plan when saved."""

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from catalog.models import Category, EditorAssignment, Plan, Service, SubCategory, Tag

pytestmark = pytest.mark.django_db

PREFIX = "services"


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def editor_client(client, plan):
    user = User.objects.create_user("goyang-editor", password="pw-1234-long", is_staff=True)
    user.groups.add(Group.objects.get(name="편집자"))
    EditorAssignment.objects.create(user=user, municipality=plan.municipality)
    client.force_login(user)
    return client


def management(total: int, initial: int = 0) -> dict:
    return {
        f"{PREFIX}-TOTAL_FORMS": str(total),
        f"{PREFIX}-INITIAL_FORMS": str(initial),
        f"{PREFIX}-MIN_NUM_FORMS": "0",
        f"{PREFIX}-MAX_NUM_FORMS": "1000",
    }


def service_line(index: int, name: str, **fields) -> dict:
    line = {"name": name, "status": "planned", **fields}
    return {f"{PREFIX}-{index}-{key}": value for key, value in line.items()}


def new_plan_with_three_tagged_services(goyang_pk: int) -> dict:
    transport = Category.objects.get(code="transport")
    safety = Category.objects.get(code="safety-disaster")
    parking = SubCategory.objects.get(code="transport-parking")
    tag = {slug: Tag.objects.get(slug=slug).pk for slug in ("cctv", "iot", "어린이", "ai")}
    return {
        "municipality": goyang_pk,
        "title": "고양시 스마트도시계획 (2025–2029)",
        "kind": "master_plan",
        "start_year": "2025",
        "end_year": "2029",
        **management(3),
        **service_line(
            0,
            "지능형 CCTV 관제",
            category=safety.pk,
            tags=[tag["cctv"], tag["ai"]],
            source_page="88",
            description="CCTV 영상을 AI가 분석해 위험 상황을 알린다.",
        ),
        **service_line(
            1,
            "공영주차장 빈자리 안내",
            category=transport.pk,
            subcategory=parking.pk,
            tags=[tag["iot"]],
            source_page="91",
        ),
        **service_line(
            2,
            "어린이 통학로 알리미",
            category=safety.pk,
            tags=[tag["어린이"], tag["iot"]],
            source_note="계획서 93쪽 표 4-2",
        ),
    }


def test_a_plan_and_three_tagged_services_are_saved_with_one_post(staff_client, goyang):
    response = staff_client.post(
        reverse("admin:catalog_plan_add"), new_plan_with_three_tagged_services(goyang.pk)
    )
    assert response.status_code == 302, response.context["error_summary"]
    plan = Plan.objects.get(title="고양시 스마트도시계획 (2025–2029)")
    services = {s.name: s for s in plan.services.prefetch_related("tags")}
    assert {t.slug for t in services["지능형 CCTV 관제"].tags.all()} == {"cctv", "ai"}
    assert {t.slug for t in services["공영주차장 빈자리 안내"].tags.all()} == {"iot"}
    assert {t.slug for t in services["어린이 통학로 알리미"].tags.all()} == {"어린이", "iot"}
    assert services["공영주차장 빈자리 안내"].subcategory.code == "transport-parking"
    assert services["지능형 CCTV 관제"].description.startswith("CCTV 영상을")
    assert services["어린이 통학로 알리미"].source_note == "계획서 93쪽 표 4-2"
    assert not any(s.is_published for s in services.values())


def test_a_new_plan_offers_three_empty_lines_and_a_saved_plan_one(staff_client, plan):
    add = staff_client.get(reverse("admin:catalog_plan_add"))
    assert add.context["inline_admin_formsets"][0].formset.total_form_count() == 3
    change = staff_client.get(reverse("admin:catalog_plan_change", args=[plan.pk]))
    assert change.context["inline_admin_formsets"][0].formset.total_form_count() == 1


def test_each_line_carries_tags_and_sub_group_with_description_and_note_folded(
    staff_client, plan, make_service
):
    service = make_service("스마트 가로등", is_published=False)
    service.tags.set([Tag.objects.get(slug="iot"), Tag.objects.get(slug="led")])
    body = staff_client.get(reverse("admin:catalog_plan_change", args=[plan.pk])).content.decode()
    assert f'name="{PREFIX}-0-tags"' in body
    assert f'name="{PREFIX}-0-subcategory"' in body
    assert "태그 2개: IoT, LED" in body  # the folded picker names the tags chosen
    folded = body.split('<details class="service-more"', 1)[1].split("</details>", 1)[0]
    assert f'name="{PREFIX}-0-description"' in folded
    assert f'name="{PREFIX}-0-source_note"' in folded
    # A draft's public page is a preview for staff; the line says so.
    assert "공개 전 미리보기" in body


@pytest.mark.parametrize("services", [1, 12])
def test_the_plan_page_reads_tags_and_choices_once_whatever_the_number_of_services(
    staff_client, plan, make_service, django_assert_num_queries, services
):
    url = reverse("admin:catalog_plan_change", args=[plan.pk])
    iot = Tag.objects.get(slug="iot")
    for number in range(services):
        make_service(f"서비스 {number}").tags.add(iot)
    with django_assert_num_queries(14):
        response = staff_client.get(url)
    assert response.context["inline_admin_formsets"][0].formset.total_form_count() == services + 1


def test_editors_see_whether_a_service_is_published_as_words(editor_client, plan, make_service):
    make_service("공개된 서비스")
    body = editor_client.get(reverse("admin:catalog_plan_change", args=[plan.pk])).content
    body = body.decode()
    assert f'name="{PREFIX}-0-is_published"' not in body
    assert '<span class="readonly">공개</span>' in body


def test_a_service_opened_from_its_plan_links_back_and_saving_returns_to_the_plan(
    staff_client, plan, make_service
):
    service = make_service("스마트 가로등")
    plan_url = reverse("admin:catalog_plan_change", args=[plan.pk])
    change_url = reverse("admin:catalog_service_change", args=[service.pk])
    assert f"{change_url}?from_plan=1" in staff_client.get(plan_url).content.decode()
    page = staff_client.get(change_url, {"from_plan": "1"})
    assert "저장하면 그 계획으로 돌아갑니다" in page.content.decode()

    data = {
        "plan": plan.pk,
        "name": "스마트 가로등 (고침)",
        "description": "",
        "category": service.category_id,
        "category_basis": "editor",
        "status": "built",
        "source_page": "12",
        "loaded_version": service.version,
        "is_published": "on",
    }
    saved = staff_client.post(f"{change_url}?from_plan=1", data)
    assert saved.status_code == 302
    assert saved.url == plan_url
    service.refresh_from_db()
    assert service.status == "built"

    kept_open = staff_client.post(
        f"{change_url}?from_plan=1", {**data, "loaded_version": service.version, "_continue": "1"}
    )
    assert kept_open.url == f"{change_url}?from_plan=1"


def test_a_service_opened_from_the_list_returns_to_the_list(staff_client, plan, make_service):
    service = make_service("스마트 가로등")
    change_url = reverse("admin:catalog_service_change", args=[service.pk])
    response = staff_client.post(
        change_url,
        {
            "plan": plan.pk,
            "name": service.name,
            "category": service.category_id,
            "category_basis": "editor",
            "status": "planned",
            "source_page": "12",
            "loaded_version": service.version,
            "is_published": "on",
        },
    )
    assert response.url == reverse("admin:catalog_service_changelist")


def test_tags_saved_from_the_table_are_kept_in_the_service_history(staff_client, plan):
    cctv = Tag.objects.get(slug="cctv")
    data = {
        "municipality": plan.municipality_id,
        "title": plan.title,
        "kind": plan.kind,
        "start_year": plan.start_year,
        "end_year": plan.end_year,
        "loaded_version": plan.version,
        **management(1),
        **service_line(
            0, "지능형 CCTV", category=Category.objects.get(code="transport").pk, source_page="3"
        ),
        f"{PREFIX}-0-tags": [cctv.pk],
    }
    response = staff_client.post(reverse("admin:catalog_plan_change", args=[plan.pk]), data)
    assert response.status_code == 302
    service = Service.objects.get(name="지능형 CCTV")
    assert list(service.tags.all()) == [cctv]
    assert service.history.first().history_user.is_superuser
