"""``/data/<version>/changes/``: what a release added, removed and changed since the one
before, and how the headline figures moved; the same as CSV."""

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from catalog.models import Category, Service
from tests.releases.conftest import make

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[dict]:
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(content)))


@pytest.fixture
def edited(release):
    """A second release after an edit, a new service, a withdrawn one and a re-analysis."""
    renamed = Service.objects.published().get(name="AR 기반 길안내 서비스")
    renamed.name = "AR 관광 길안내"
    renamed.status = Service.Status.OPERATING
    renamed.save()
    withdrawn = Service.objects.published().exclude(pk=renamed.pk).order_by("pk").first()
    withdrawn.is_published = False
    withdrawn.save()
    added = Service.objects.create(
        plan=renamed.plan,
        name="스마트 버스정류장",
        category=Category.objects.get(code="transport"),
        source_page="3",
        is_published=True,
    )
    call_command("find_duplicates", stdout=io.StringIO())
    return {
        "first": release,
        "second": make(notes="고친 판"),
        "renamed": renamed,
        "withdrawn": withdrawn,
        "added": added,
    }


def test_second_release_after_an_edit_shows_the_edit_on_its_changes_page(client, edited):
    second, renamed = edited["second"], edited["renamed"]
    response = client.get(reverse("releases:changes", args=[second.version]))
    assert response.status_code == 200
    body = response.content.decode()
    assert f"이전 릴리스 {edited['first'].version}" in body
    sections = {section["kind"]: section for section in response.context["sections"]}
    changed = {change.service_id: columns for change, columns in sections["changed"]["rows"]}
    assert changed[renamed.pk] == ["서비스명", "상태"]
    assert [change.service_id for change, _ in sections["added"]["rows"]] == [edited["added"].pk]
    assert [change.service_id for change, _ in sections["removed"]["rows"]] == [
        edited["withdrawn"].pk
    ]
    assert "AR 관광 길안내" in body
    assert "서비스명, 상태" in body


def test_headline_figures_show_before_now_and_the_change(client, edited):
    first, second = edited["first"], edited["second"]
    response = client.get(second.get_changes_url())
    figures = {figure.figure: figure for _label, figure in response.context["figures"]}
    count = figures["service_count"]
    assert (count.previous, count.current, count.change) == (69, 69, 0)  # one in, one out
    rate = figures["duplication_rate_percent"]
    assert rate.previous == first.figures["duplication_rate_percent"]
    assert rate.current == second.figures["duplication_rate_percent"]
    fields = {
        name: (services, share) for name, services, share in response.context["field_figures"]
    }
    transport_services, transport_share = fields["교통"]
    assert transport_services.change == 1
    assert transport_share.previous == first.figures["categories"]["transport"]["share_percent"]


def test_changes_download_as_csv(client, edited):
    second, renamed = edited["second"], edited["renamed"]
    services = csv_rows(
        client.get(reverse("releases:changes-export", args=[second.version, "services"]))
    )
    by_change = {(row["change"], row["service_id"], row["column"]): row for row in services}
    assert by_change[("changed", str(renamed.pk), "service_name")]["previous"] == (
        "AR 기반 길안내 서비스"
    )
    assert by_change[("changed", str(renamed.pk), "service_name")]["current"] == "AR 관광 길안내"
    assert by_change[("changed", str(renamed.pk), "status")]["current"] == "operating"
    assert ("added", str(edited["added"].pk), "") in by_change
    assert ("removed", str(edited["withdrawn"].pk), "") in by_change
    figures = csv_rows(
        client.get(reverse("releases:changes-export", args=[second.version, "figures"]))
    )
    count = next(row for row in figures if row["figure"] == "service_count")
    assert (count["previous"], count["current"], count["change"]) == ("69", "69", "0")
    assert {row["category_code"] for row in figures} >= {"", "transport"}


def test_formula_like_values_are_compared_as_typed_and_guarded_once_in_the_csv(client, release):
    service = Service.objects.published().order_by("pk").first()
    service.description = "=1+2"
    service.save()
    second = make()
    rows = csv_rows(
        client.get(reverse("releases:changes-export", args=[second.version, "services"]))
    )
    assert [(row["column"], row["current"]) for row in rows] == [("description", "'=1+2")]


def test_a_first_release_has_nothing_to_compare(client, release):
    response = client.get(release.get_changes_url())
    assert "첫 릴리스입니다." in response.content.decode()
    figures = {figure.figure: figure for _label, figure in response.context["figures"]}
    assert figures["service_count"].previous is None
    assert figures["service_count"].current == 69
    rows = csv_rows(
        client.get(reverse("releases:changes-export", args=[release.version, "services"]))
    )
    assert rows == []


def test_unknown_tables_and_versions_are_404(client, release):
    assert client.get(f"/data/{release.version}/changes/other.csv").status_code == 404
    assert client.get("/data/1999.01.01/changes/").status_code == 404
    assert client.get("/data/1999.01.01/changes/services.csv").status_code == 404


def test_a_release_whose_file_is_gone_gives_a_404(client, edited, caplog):
    first = edited["first"]
    first.path.chmod(0o644)
    first.path.unlink()
    assert client.get(edited["second"].get_changes_url()).status_code == 404
    assert "cannot be read" in caplog.text


def test_the_page_speaks_english_when_asked(client, edited):
    client.cookies["django_language"] = "en"
    body = client.get(edited["second"].get_changes_url()).content.decode()
    assert "Service name, Status" in body
