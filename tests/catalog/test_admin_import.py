"""Staff import a plan's spreadsheet in the admin: upload, preview, confirm, publish."""

import io

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from catalog.models import EditorAssignment, Municipality, Plan, Service

pytestmark = pytest.mark.django_db

HEADER = "서비스명,분야,상태,문서 쪽,설명\n"


def csv_upload(text: str, name: str = "services.csv", encoding: str = "utf-8-sig"):
    upload = io.BytesIO(text.encode(encoding))
    upload.name = name
    return upload


@pytest.fixture
def editor(client, plan):
    user = User.objects.create_user("editor", password="pw-1234-long", is_staff=True)
    user.groups.add(Group.objects.get(name="편집자"))
    EditorAssignment.objects.create(user=user, municipality=plan.municipality)
    client.force_login(user)
    return client


def import_url(plan):
    return reverse("admin:catalog_plan_import", args=[plan.pk])


def test_upload_shows_a_preview_and_writes_nothing(editor, plan):
    response = editor.post(
        import_url(plan), {"file": csv_upload(HEADER + "스마트 가로등,방범·방재,계획,12,설명\n")}
    )
    assert response.status_code == 200
    assert response.context["preview"].counts["create"] == 1
    assert "확인하고 저장" in response.content.decode()
    assert not Service.objects.exists()


def test_confirming_writes_drafts_and_returns_to_the_plan(editor, plan):
    content = HEADER + "스마트 가로등,방범·방재,계획,12,\n공영주차장 안내,교통,구축,13,\n"
    preview = editor.post(import_url(plan), {"file": csv_upload(content)})
    response = editor.post(import_url(plan), {"confirm": "1", "token": preview.context["token"]})
    assert response.status_code == 302
    assert response.url == reverse("admin:catalog_plan_change", args=[plan.pk])
    services = Service.objects.filter(plan=plan).order_by("name")
    assert [s.name for s in services] == ["공영주차장 안내", "스마트 가로등"]
    assert not any(s.is_published for s in services)
    assert services[0].history.first().history_user.username == "editor"


def test_a_bad_row_is_reported_by_row_and_column_and_blocks_the_import(editor, plan):
    content = HEADER + "좋은 줄,교통,계획,1,\n,없는분야,계획,2,\n"
    response = editor.post(import_url(plan), {"file": csv_upload(content)})
    body = response.content.decode()
    assert "3행" in body
    assert "분야" in body
    assert "확인하고 저장" not in body
    assert response.context["token"] is None
    editor.post(import_url(plan), {"confirm": "1", "token": "made-up"})
    assert not Service.objects.exists()


def test_cp949_files_from_korean_excel_are_read(editor, plan):
    content = HEADER + "스마트 가로등,방범·방재,계획,12,\n"
    response = editor.post(import_url(plan), {"file": csv_upload(content, encoding="cp949")})
    assert response.context["preview"].counts["create"] == 1


def test_an_unreadable_file_gets_a_message_not_a_500(editor, plan):
    response = editor.post(import_url(plan), {"file": csv_upload("x", name="plan.pdf")})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_an_unknown_or_expired_token_is_refused_with_a_message(editor, plan):
    response = editor.post(import_url(plan), {"confirm": "1", "token": "not a token"}, follow=True)
    assert "다시 올려 주세요" in response.content.decode()
    assert not Service.objects.exists()


def test_an_editor_cannot_import_into_another_municipalitys_plan(editor):
    other = Plan.objects.create(municipality=Municipality.objects.get(code="48250"), title="김해")
    response = editor.post(
        import_url(other), {"file": csv_upload(HEADER + "가로등,교통,계획,1,\n")}
    )
    assert response.status_code == 404
    assert not Service.objects.exists()


def test_template_and_plan_export_download(editor, plan, make_service):
    make_service("스마트 가로등", is_published=False)
    template = editor.get(reverse("admin:catalog_plan_import_template"))
    header = next(load_workbook(io.BytesIO(template.getvalue())).active.iter_rows(values_only=True))
    assert "서비스명" in header
    exported = editor.get(reverse("admin:catalog_plan_export", args=[plan.pk]), {"format": "csv"})
    text = b"".join(exported.streaming_content).decode("utf-8-sig")
    assert "스마트 가로등" in text


def test_new_staff_import_the_template_then_a_reviewer_publishes(client, editor, plan):
    template = editor.get(reverse("admin:catalog_plan_import_template"))
    workbook = load_workbook(io.BytesIO(template.getvalue()))
    header = [cell.value for cell in next(workbook.active.iter_rows())]
    filled = Workbook()
    filled.active.append(header)
    row = dict.fromkeys(header, "")
    row.update({"서비스명": "스마트 버스정류장", "분야": "교통", "상태": "계획", "문서 쪽": "45"})
    filled.active.append([row[h] for h in header])
    buffer = io.BytesIO()
    filled.save(buffer)
    buffer.seek(0)
    buffer.name = "filled.xlsx"
    preview = editor.post(import_url(plan), {"file": buffer})
    editor.post(import_url(plan), {"confirm": "1", "token": preview.context["token"]})
    service = Service.objects.get(name="스마트 버스정류장")
    assert not service.is_published

    reviewer = User.objects.create_user("reviewer", password="pw-1234-long", is_staff=True)
    reviewer.groups.add(Group.objects.get(name="검토자"))
    client.force_login(reviewer)
    client.post(
        reverse("admin:catalog_service_changelist"),
        {"action": "publish", "_selected_action": [service.pk]},
    )
    service.refresh_from_db()
    assert service.is_published
    assert client.get(service.get_absolute_url()).status_code == 200


# --- a file of many municipalities and plans ---------------------------------------------------

MANY_URL = "/admin/catalog/plan/import/"
RESEARCH = "시·도,자치단체,계획명,계획연도,서비스명,설명,출처\n"


def test_staff_who_may_add_plans_create_them_from_the_file(client, django_user_model):
    reviewer = django_user_model.objects.create_user("rev", password="pw-1234-long", is_staff=True)
    reviewer.groups.add(Group.objects.get(name="검토자"))
    client.force_login(reviewer)
    assert "create_plans" in client.get(MANY_URL).context["form"].fields
    content = RESEARCH + "강원도,속초시,속초 계획,2022,스마트 횡단보도,,https://a.kr (신문)\n"
    preview = client.post(MANY_URL, {"file": csv_upload(content), "create_plans": "on"})
    body = preview.content.decode()
    assert "새로 만들 계획" in body
    assert "분야 제안" in body
    assert "다음 후보" in body
    response = client.post(MANY_URL, {"confirm": "1", "token": preview.context["token"]})
    assert response.status_code == 302
    service = Service.objects.get(name="스마트 횡단보도")
    assert service.plan.municipality.code == "51210"
    assert service.category_basis == "suggested"
    assert not service.is_published


def test_staff_without_plan_rights_get_no_checkbox_and_a_clear_error(client, plan):
    from django.contrib.auth.models import Permission

    clerk = User.objects.create_user("clerk", password="pw-1234-long", is_staff=True)
    clerk.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="catalog",
            codename__in=[
                "add_service",
                "change_service",
                "view_service",
                "view_plan",
                "edit_all_municipalities",
            ],
        )
    )
    client.force_login(clerk)
    assert "create_plans" not in client.get(MANY_URL).context["form"].fields
    content = RESEARCH + "경기,고양시,없는 계획,2022,가로등,,https://a.kr\n"
    preview = client.post(MANY_URL, {"file": csv_upload(content), "create_plans": "on"})
    assert preview.context["token"] is None
    assert "없는 계획" in preview.context["preview"].error_lines()[0]
    assert not Plan.objects.filter(title="없는 계획").exists()


def test_an_editor_creates_plans_only_for_assigned_municipalities(editor, plan):
    content = (
        RESEARCH
        + "경기,고양시,고양 새 계획,2022,가로등,,https://a.kr\n"
        + "경남,김해시,김해 새 계획,2022,가로등,,https://a.kr\n"
    )
    preview = editor.post(MANY_URL, {"file": csv_upload(content), "create_plans": "on"})
    assert preview.context["preview"].error_lines() == [
        "3행 '자치단체': 권한이 없는 자치단체입니다: 경상남도 김해시(48250)."
    ]
    assert [new.plan.title for new in preview.context["preview"].new_plans] == ["고양 새 계획"]


def test_an_editor_imports_only_into_assigned_municipalities(editor, plan):
    content = (
        RESEARCH
        + f"경기,고양시,{plan.title},,가로등,,https://a.kr\n"
        + f"경남,김해시,{plan.title},,가로등,,https://a.kr\n"
    )
    preview = editor.post(MANY_URL, {"file": csv_upload(content)})
    assert preview.context["preview"].error_lines() == [
        "3행 '자치단체': 권한이 없는 자치단체입니다: 경상남도 김해시(48250)."
    ]


def test_a_token_is_good_only_for_its_uploader(editor, plan, client, django_user_model):
    preview = editor.post(import_url(plan), {"file": csv_upload(HEADER + "가로등,교통,계획,1,\n")})
    token = preview.context["token"]
    other = django_user_model.objects.create_superuser("other", password="pw-1234-long")
    client.force_login(other)
    client.post(import_url(plan), {"confirm": "1", "token": token})
    assert not Service.objects.exists()
