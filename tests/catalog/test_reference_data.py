"""The reference data: 243 local governments with post-2023 changes, 12 fields, tags."""

from io import StringIO

import pytest
from django.core.management import call_command

from catalog.loading import REFERENCE_FIXTURES, load_fixtures
from catalog.models import Category, Municipality, SubCategory, Tag

pytestmark = pytest.mark.django_db


def test_all_243_local_governments_are_loaded():
    assert Municipality.objects.count() == 243
    assert Municipality.objects.sidos().count() == 17
    assert Municipality.objects.local().count() == 226
    assert not Municipality.objects.filter(is_active=False).exists()


def test_levels_follow_the_name_suffix():
    counts = {
        level: Municipality.objects.filter(level=level).count() for level in ("si", "gun", "gu")
    }
    assert counts == {"si": 75, "gun": 82, "gu": 69}


def test_gangwon_and_jeonbuk_carry_their_new_names_and_codes():
    gangwon = Municipality.objects.get(code="51000")
    jeonbuk = Municipality.objects.get(code="52000")
    assert (gangwon.name, gangwon.former_code) == ("강원특별자치도", "42000")
    assert (jeonbuk.name, jeonbuk.former_code) == ("전북특별자치도", "45000")
    assert Municipality.objects.get(code="51110").parent == gangwon  # 춘천시
    assert Municipality.objects.get(code="52110").parent == jeonbuk  # 전주시
    assert not Municipality.objects.filter(code__startswith="42").exists()
    assert not Municipality.objects.filter(code__startswith="45").exists()


def test_gunwi_belongs_to_daegu():
    gunwi = Municipality.objects.get(name="군위군")
    assert gunwi.code == "27720"
    assert gunwi.former_code == "47720"
    assert gunwi.parent.name == "대구광역시"
    assert Municipality.objects.get(code="27000").children.count() == 9


def test_every_local_government_sits_under_its_own_sido():
    for code, parent_code in Municipality.objects.local().values_list("code", "parent__code"):
        assert parent_code == code[:2] + "000"


def test_twelve_categories_in_statutory_order():
    names = list(Category.objects.values_list("name_ko", flat=True))
    assert len(names) == 12
    assert names[0] == "행정"
    assert names[4] == "방범·방재"
    assert names[-1] == "기타"
    assert not Category.objects.filter(description_ko="").exists()
    assert not Category.objects.filter(description_en="").exists()


def test_transport_has_the_papers_four_groups():
    groups = SubCategory.objects.filter(category__code="transport")
    assert groups.count() == 4
    assert set(groups.values_list("name_ko", flat=True)) == {
        "신교통 인프라",
        "주차공간 제공",
        "퍼스널 모빌리티",
        "교통정보 수집·제공",
    }


def test_tags_cover_technologies_and_target_groups():
    assert Tag.objects.filter(kind="technology", name="CCTV").exists()
    assert Tag.objects.filter(kind="target", name="어린이").exists()


def test_loading_again_changes_nothing():
    before = list(Municipality.objects.order_by("pk").values())
    report = load_fixtures(REFERENCE_FIXTURES)
    assert not report.changed
    assert report.unchanged["catalog.Municipality"] == 243
    assert list(Municipality.objects.order_by("pk").values()) == before


def test_loading_restores_an_edited_row_and_reports_it():
    Municipality.objects.filter(code="41280").update(name="틀린 이름")
    report = load_fixtures(REFERENCE_FIXTURES)
    assert report.updated["catalog.Municipality"] == 1
    assert Municipality.objects.get(code="41280").name == "고양시"


def test_loading_into_an_empty_database_creates_everything():
    SubCategory.objects.all().delete()
    Category.objects.all().delete()
    Municipality.objects.local().delete()
    Municipality.objects.all().delete()
    Tag.objects.all().delete()
    report = load_fixtures(REFERENCE_FIXTURES)
    assert report.created["catalog.Municipality"] == 243
    assert report.created["catalog.Category"] == 12
    assert Municipality.objects.count() == 243


def test_dry_run_writes_nothing(capsys):
    Municipality.objects.filter(code="41280").update(name="틀린 이름")
    call_command("load_reference_data", "--dry-run")
    output = capsys.readouterr().out
    assert "catalog.Municipality: 0 created, 1 updated, 242 unchanged" in output
    assert "Dry run" in output
    assert Municipality.objects.get(code="41280").name == "틀린 이름"


def test_command_says_when_nothing_changed(capsys):
    call_command("load_reference_data")
    assert "nothing changed" in capsys.readouterr().out


def test_loading_is_silent_at_verbosity_zero(db):
    out = StringIO()
    call_command("load_reference_data", verbosity=0, stdout=out)
    assert out.getvalue() == ""
