"""``make_release`` freezes what is published into one validated, immutable zip."""

import csv
import io
import json
import os
import stat
import subprocess
import sys
import zipfile

import frictionless
import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from analysis.models import DuplicationRun
from catalog import revision
from catalog.models import Service
from releases import building
from releases.building import make_release, next_version
from releases.models import Release, ReleaseChanged
from releases.package import TABLES
from tests.releases.conftest import LockHolder, make, unzip

pytestmark = pytest.mark.django_db


def read_csv(archive: zipfile.ZipFile, name: str) -> list[dict]:
    with archive.open(name) as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8", newline="")))


def live_rows(url: str, **params) -> list[dict]:
    response = Client().get(url, params)
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(content)))


def test_release_holds_a_csv_per_table_and_the_documents_describing_them(release):
    with zipfile.ZipFile(release.path) as archive:
        names = set(archive.namelist())
    assert names == {
        "datapackage.json",
        "README.md",
        "CITATION.cff",
        *(table.path for table in TABLES),
    }
    assert release.version == release.released_on.strftime("%Y.%m.%d")
    assert release.file_name == f"smartcity-catalog-{release.version}.zip"
    assert release.notes == "첫 릴리스"
    assert release.counts["services"] == Service.objects.published().count() == 69


def test_release_validates_as_frictionless_package(release, tmp_path):
    folder = unzip(release, tmp_path / "unzipped")
    package = frictionless.Package(folder / "datapackage.json")
    report = package.validate()
    assert report.valid, report.flatten(["resourceName", "rowNumber", "type", "note"])
    assert len(report.tasks) == len(TABLES)
    # The foreign keys were checked: a service pointing at no plan fails the package.
    services = folder / "data" / "services.csv"
    services.write_text(
        services.read_text(encoding="utf-8").replace(",광양시 스마트도시계획,", ",없는 계획,", 1),
        encoding="utf-8",
    )
    broken = frictionless.Package(folder / "datapackage.json").validate()
    services_task = next(task for task in broken.tasks if task.name == "services")
    assert "foreign-key" in {error.type for error in services_task.errors}


def test_every_table_declares_types_titles_and_keys_and_its_foreign_keys_hold(release):
    with zipfile.ZipFile(release.path) as archive:
        descriptor = json.loads(archive.read("datapackage.json"))
    resources = {resource["name"]: resource for resource in descriptor["resources"]}
    assert list(resources) == [table.name for table in TABLES]
    for resource in resources.values():
        schema = resource["schema"]
        assert schema["primaryKey"]
        assert " / " in resource["title"]  # Korean / English
        for field in schema["fields"]:
            assert field["type"] in {"string", "integer", "number", "boolean", "date", "datetime"}
            assert all(field["title"].split(" / "))
    services = resources["services"]["schema"]
    status = next(field for field in services["fields"] if field["name"] == "status")
    assert status["constraints"]["enum"] == ["planned", "built", "operating", "suspended"]
    references = {
        tuple(key["fields"]): key["reference"]["resource"] for key in services["foreignKeys"]
    }
    assert references == {
        ("category_code",): "categories",
        ("subcategory_code",): "subcategories",
        ("municipality_code",): "municipalities",
        ("sido_code",): "municipalities",
        ("municipality_code", "plan_title"): "plans",
    }
    fields = {field["name"] for field in resources["municipalities"]["schema"]["fields"]}
    assert "former_code" in fields


def test_datapackage_names_the_duplication_method_and_counts(release):
    with zipfile.ZipFile(release.path) as archive:
        descriptor = json.loads(archive.read("datapackage.json"))
    run = DuplicationRun.objects.get()
    method = descriptor["duplication_method"]
    assert f"{method['name']} v{method['version']}" == run.method
    assert method["parameters"] == run.parameters
    assert method["run_id"] == run.pk == release.duplication_run_id
    assert descriptor["counts"] == release.counts
    assert descriptor["figures"] == release.figures
    assert descriptor["version"] == release.version
    assert descriptor["catalog_revision"] == release.catalog_revision
    shared = descriptor["figures"]
    assert shared["duplicated_service_count"] == release.counts["idea_members"]


def test_reading_the_zip_back_gives_the_rows_of_the_live_exports_at_release_time(release):
    with zipfile.ZipFile(release.path) as archive:
        frozen = {table.name: read_csv(archive, table.path) for table in TABLES}
    services = live_rows(reverse("catalog:service-export"), format="csv-utf8")
    assert sorted(services, key=lambda row: int(row["service_id"])) == frozen["services"]
    for table, name in (
        ("shares", "category_shares"),
        ("matrix", "municipality_category_matrix"),
        ("clusters", "idea_members"),
        ("municipalities", "differentiation"),
    ):
        assert live_rows(reverse("analysis:export", args=[table])) == frozen[name], table


def test_frictionless_reads_the_values_the_catalog_holds(release, tmp_path):
    package = frictionless.Package(unzip(release, tmp_path / "unzipped") / "datapackage.json")
    rows = package.get_resource("services").read_rows()
    published = Service.objects.published().order_by("pk")
    assert [(row["service_id"], row["service_name"], row["updated_at"]) for row in rows] == list(
        published.values_list("pk", "name", "updated_at")
    )
    shares = {
        row["category_code"]: row["share_percent"]
        for row in package.get_resource("category_shares").read_rows()
    }
    assert float(shares["transport"]) == release.figures["categories"]["transport"]["share_percent"]


def test_readme_and_citation_describe_the_release_in_korean_and_english(release):
    with zipfile.ZipFile(release.path) as archive:
        readme = archive.read("README.md").decode()
        citation = yaml.safe_load(archive.read("CITATION.cff"))
    assert "## 한국어" in readme
    assert "## English" in readme
    for table in TABLES:
        assert f"#### {table.ko} (`{table.path}`)" in readme
        assert f"#### {table.en} (`{table.path}`)" in readme
    assert citation["cff-version"] == "1.2.0"
    assert citation["type"] == "dataset"
    assert citation["version"] == release.version
    assert citation["date-released"] == release.released_on.isoformat()
    assert citation["repository-artifact"] == f"http://testserver/data/{release.version}.zip"


def test_a_release_never_changes(release):
    assert release.sha256 == building._sha256(release.path)
    assert release.size == release.path.stat().st_size
    assert not release.path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    release.notes = "고침"
    with pytest.raises(ReleaseChanged):
        release.save()
    assert Release.objects.get().notes == "첫 릴리스"


def test_each_release_of_a_day_gets_the_next_version(release):
    second, third = make(), make()
    day = release.version
    assert [second.version, third.version] == [f"{day}-2", f"{day}-3"]
    assert len({release.sha256, second.path.name, third.path.name}) == 3
    assert release.sha256 == building._sha256(release.path)  # the first is left as it was


def test_an_existing_file_is_never_overwritten(analysed, releases_root):
    today = timezone.localdate()
    releases_root.mkdir(parents=True)
    stray = releases_root / f"smartcity-catalog-{today:%Y.%m.%d}.zip"
    stray.write_bytes(b"someone's file")
    assert next_version(today, releases_root) == f"{today:%Y.%m.%d}-2"
    assert make().version == f"{today:%Y.%m.%d}-2"
    assert stray.read_bytes() == b"someone's file"


def test_dry_run_reports_and_keeps_nothing(analysed, releases_root):
    out = io.StringIO()
    call_command("make_release", "--dry-run", stdout=out)
    assert "Dry run" in out.getvalue()
    assert "services: 69" in out.getvalue()
    assert not Release.objects.exists()
    assert list(releases_root.iterdir()) == []


def test_a_failed_release_leaves_no_file_and_no_row(analysed, releases_root, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(building.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        make_release()
    assert not Release.objects.exists()
    assert list(releases_root.iterdir()) == []


def test_refused_without_the_sites_public_address(analysed, settings):
    settings.SITE_URL = ""
    with pytest.raises(CommandError, match="SITE_URL"):
        make()
    assert not Release.objects.exists()


def test_a_change_while_the_tables_are_read_makes_the_release_again(analysed, monkeypatch):
    write, calls = building._write, []

    def write_then_edit(*args):
        meta = write(*args)
        calls.append(meta.version)
        if len(calls) == 1:  # an editor saves while the first attempt reads
            service = Service.objects.published().first()
            service.description = "읽는 동안 고침"
            service.save()
        return meta

    monkeypatch.setattr(building, "_write", write_then_edit)
    release = make()
    assert len(calls) == 2
    assert release.catalog_revision == revision.current()
    with zipfile.ZipFile(release.path) as archive:
        rows = read_csv(archive, "data/services.csv")
    assert "읽는 동안 고침" in {row["description"] for row in rows}


def test_a_catalog_that_never_stands_still_is_refused(analysed, monkeypatch):
    write = building._write

    def write_then_edit(*args):
        meta = write(*args)
        revision.bump()
        return meta

    monkeypatch.setattr(building, "_write", write_then_edit)
    with pytest.raises(CommandError, match="계속 바뀌어"):
        make()
    assert not Release.objects.exists()


def test_refused_while_a_duplication_run_is_in_progress(analysed, releases_root):
    with LockHolder(), pytest.raises(CommandError, match="중복 분석이 실행 중"):
        make()
    assert not Release.objects.exists()
    assert not any(releases_root.iterdir())
    assert make().counts["services"] == 69  # once the run has ended


def test_no_duplication_run_yet_gives_a_release_without_ideas(demo_data, tmp_path):
    release = make()
    assert release.duplication_run_id is None
    assert release.counts["ideas"] == release.counts["idea_members"] == 0
    with zipfile.ZipFile(release.path) as archive:
        assert json.loads(archive.read("datapackage.json"))["duplication_method"] is None
    report = frictionless.validate(unzip(release, tmp_path / "unzipped") / "datapackage.json")
    assert report.valid


def test_files_are_written_in_korean_whoever_makes_them(analysed):
    with translation.override("en"):
        release = make_release().release
    with zipfile.ZipFile(release.path) as archive:
        rows = read_csv(archive, "data/idea_members.csv")
    assert any(row["why"].startswith(("공통어", "동의어", "유사도")) for row in rows)
    assert os.access(release.path, os.R_OK)


def test_a_backup_holds_the_list_of_releases(release, tmp_path):
    path = tmp_path / "catalog.json.gz"
    listed = list(Release.objects.values())
    call_command("backup_catalog", str(path), stdout=io.StringIO())
    Release.objects.all().delete()
    call_command("restore_catalog", str(path), "--replace", stdout=io.StringIO())
    assert list(Release.objects.values()) == listed
    assert Release.objects.get().path.exists()  # the file was never the backup's


def test_settings_come_from_the_environment():
    script = "from django.conf import settings; print(settings.RELEASES_ROOT, settings.SITE_URL)"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", script],
        cwd=settings.BASE_DIR,
        env={
            **os.environ,
            "DEBUG": "1",
            "RELEASES_ROOT": "/srv/releases",
            "SITE_URL": "https://x.kr/",
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert result.stdout.split() == ["/srv/releases", "https://x.kr"]
