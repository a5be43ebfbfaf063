"""``/data/``: every release, newest first, with what it holds, its checksum, its file and a
citation; files served as the immutable things they are."""

import re

import pytest
from django.urls import reverse

from catalog.models import Service
from tests.releases.conftest import make

pytestmark = pytest.mark.django_db
URL = reverse("releases:list")


def test_releases_are_listed_newest_first_with_date_notes_counts_size_and_checksum(client, release):
    second = make(notes="두 번째 판")
    body = client.get(URL).content.decode()
    assert body.index(f'id="release-{second.version}"') < body.index(
        f'id="release-{release.version}"'
    )
    for made in (release, second):
        assert made.sha256 in body
        assert f'href="/data/{made.version}.zip"' in body
        assert f'href="/data/{made.version}/changes/"' in body
        assert made.released_on.strftime("%Y-%m-%d") in body
    assert "첫 릴리스" in body
    assert "두 번째 판" in body
    assert "공개 서비스 69개" in body


def test_each_release_has_a_citation_to_copy(client, release):
    body = client.get(URL).content.decode()
    citation = re.search(rf'<textarea[^>]*id="cite-{re.escape(release.version)}"[^>]*>(.*?)<', body)
    assert citation.group(1) == (
        f"스마트도시 서비스 카탈로그 ({release.released_on.year}). 스마트도시 서비스 카탈로그 "
        f"데이터 릴리스 {release.version} [데이터 세트]. http://testserver/data/{release.version}.zip"
    )
    assert "readonly" in citation.group(0)


def test_citation_speaks_english_when_asked(client, release):
    client.cookies["django_language"] = "en"
    body = client.get(URL).content.decode()
    assert f"Smart City Service Catalog data release {release.version} [Data set]." in body


def test_the_release_the_live_data_matches_is_marked(client, release):
    assert "지금 공개된 자료가 이 릴리스와 같습니다." in client.get(URL).content.decode()
    service = Service.objects.published().first()
    service.name = "고친 이름"
    service.save()
    assert "지금 공개된 자료가 이 릴리스와 같습니다." not in client.get(URL).content.decode()


def test_without_releases_the_page_says_so(client, db):
    assert "아직 릴리스가 없습니다." in client.get(URL).content.decode()


@pytest.mark.parametrize("releases", [1, 3])
def test_the_page_runs_two_queries_however_many_releases(
    client, analysed, django_assert_num_queries, releases
):
    for _ in range(releases):
        make()
    # the release the live data matches, the releases
    with django_assert_num_queries(2):
        assert client.get(URL).status_code == 200


def test_the_header_links_the_data_page(client, release):
    nav = client.get(URL).content.decode().split('<ul class="nav">', 1)[1].split("</ul>", 1)[0]
    assert f'<a href="{URL}" aria-current="page">' in nav
    changes = client.get(release.get_changes_url()).content.decode()
    assert f'<a href="{URL}" aria-current="true">' in changes


# Downloads


def download(client, release, **headers):
    return client.get(release.get_download_url(), **headers)


def test_download_is_the_file_with_its_checksum_as_etag_cached_for_good(client, release):
    response = download(client, release)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == release.path.read_bytes()
    assert response["Content-Type"] == "application/zip"
    assert f'filename="{release.file_name}"' in response["Content-Disposition"]
    assert response["ETag"] == f'"{release.sha256}"'
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert cache_control == {"public", "max-age=31536000", "immutable"}


def test_a_client_holding_the_file_gets_a_304(client, release):
    response = download(client, release, HTTP_IF_NONE_MATCH=f'"{release.sha256}"')
    assert response.status_code == 304
    assert response["ETag"] == f'"{release.sha256}"'
    assert "immutable" in response["Cache-Control"]
    assert download(client, release, HTTP_IF_NONE_MATCH='"other"').status_code == 200


def test_head_answers_without_the_body(client, release):
    response = client.head(release.get_download_url())
    assert response.status_code == 200
    assert response["ETag"] == f'"{release.sha256}"'


@pytest.mark.parametrize(
    "path", ["/data/2001.01.01.zip", "/data/2001.01.01-2.zip", "/data/latest.zip", "/data/x/"]
)
def test_unknown_releases_are_404(client, release, path):
    assert client.get(path).status_code == 404


def test_a_release_whose_file_is_gone_is_a_404_not_an_error(client, release, caplog):
    release.path.chmod(0o644)
    release.path.unlink()
    assert download(client, release).status_code == 404
    assert client.get(release.get_changes_url()).status_code == 200  # the first: nothing read
    assert "has no file" in caplog.text


def test_posting_to_a_download_is_refused(client, release):
    assert client.post(release.get_download_url()).status_code in (403, 405)
