"""Every live export names the release its figures would match, or says they are live."""

import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from analysis.models import IdeaCluster
from catalog.models import Service
from tests.releases.conftest import make

pytestmark = pytest.mark.django_db
SERVICES = reverse("catalog:service-export")


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_exports_name_the_release_the_live_data_matches(client, release):
    for export_format in ("csv", "csv-utf8", "xlsx", "json"):
        response = client.get(SERVICES, {"format": export_format})
        assert response["X-Catalog-Release"] == release.version
        assert f"-release-{release.version}-" in response["Content-Disposition"]
    csv_text = body(client.get(SERVICES, {"format": "csv-utf8"})).decode()
    assert csv_text.startswith("service_id,")  # the first line stays the column header
    source = json.loads(body(client.get(SERVICES, {"format": "json"})))["source"]
    assert source == {
        "url": "http://testserver/services/",
        "release": release.version,
        "status": "released",
        "release_url": f"http://testserver/data/{release.version}.zip",
        "releases_url": "http://testserver/data/",
    }


def test_after_an_edit_exports_say_the_data_is_live(client, release):
    service = Service.objects.published().first()
    service.description = "릴리스 뒤에 고침"
    service.save()
    response = client.get(SERVICES, {"format": "csv"})
    assert response["X-Catalog-Release"] == "live"
    assert "-release-" not in response["Content-Disposition"]
    source = json.loads(body(client.get(SERVICES, {"format": "json"})))["source"]
    assert (source["release"], source["status"], source["release_url"]) == (
        None,
        "live, not released",
        None,
    )
    # A release made now matches again.
    second = make()
    assert client.get(SERVICES)["X-Catalog-Release"] == second.version


def test_a_new_duplication_run_means_live_figures(client, release):
    call_command("find_duplicates", stdout=io.StringIO())
    response = client.get(reverse("analysis:export", args=["clusters"]))
    assert response["X-Catalog-Release"] == "live"


def test_analysis_and_idea_exports_name_the_release(client, release):
    for table in ("shares", "matrix", "clusters", "municipalities", "new-ideas"):
        for export_format in ("csv", "xlsx"):
            response = client.get(
                reverse("analysis:export", args=[table]), {"format": export_format}
            )
            assert response["X-Catalog-Release"] == release.version, table
            assert (
                f"smartcity-{table}-release-{release.version}-" in (response["Content-Disposition"])
            )
    idea = IdeaCluster.objects.shared().first()
    for name, table in (
        ("idea-export", ""),
        ("idea-timeline", "-timeline"),
        ("idea-fields", "-fields"),
    ):
        response = client.get(reverse(f"analysis:{name}", args=[idea.pk]))
        assert response["X-Catalog-Release"] == release.version
        stem = f"smartcity-idea-{idea.pk}{table}-release-{release.version}-"
        assert stem in response["Content-Disposition"]


def test_without_any_release_exports_are_live(client, analysed):
    assert client.get(SERVICES)["X-Catalog-Release"] == "live"
    assert client.get(reverse("analysis:export", args=["shares"]))["X-Catalog-Release"] == "live"
