"""Every public URL, fed what a hostile or careless visitor can put in a URL.

Whatever the path, query string, language header or cookie: no server error, no markup sent in
the request comes back unescaped in a page, exports answer with a file of the asked format or
a plain-text 400, and the language switch never leads off the site.

Examples per test are bounded by the ``fuzz`` profile; under CI (``CI`` set) the ``fuzz-ci``
profile derandomizes them, so a failure there fails the same way on every run.
"""

import csv
import io
import json
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import pytest
from django.core.management import call_command
from django.db import transaction
from django.http import QueryDict
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from hypothesis import event, given
from hypothesis import strategies as st

from analysis.models import IdeaCluster
from catalog.models import Category, Municipality, Plan, Service
from catalog.views.exports import COLUMNS
from catalog.views.exports import FORMATS as SERVICE_EXPORT_FORMATS
from releases.models import VERSION_PATTERN, Release
from tests.fuzz.profiles import FUZZ
from tests.fuzz.strategies import (
    MARKUP_PAYLOADS,
    REFLECTION_MARKERS,
    hostile_text,
    latin1,
    path_segments,
    query_strings,
    visitor_headers,
)

pytestmark = pytest.mark.django_db

PLAIN_TEXT = "text/plain; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "csv-utf8": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": XLSX,
}
ANALYSIS_TABLES = ("shares", "matrix", "clusters", "municipalities")


@dataclass(frozen=True, repr=False)
class Catalog:
    """Identifiers of the fuzzed dataset, for drawing real and unreal URL arguments."""

    service_ids: tuple[int, ...]
    plan_ids: tuple[int, ...]
    cluster_ids: tuple[int, ...]
    municipality_codes: tuple[str, ...]
    category_codes: tuple[str, ...]
    release_versions: tuple[str, ...]

    def __repr__(self) -> str:  # kept short in failure reports
        return f"Catalog({len(self.service_ids)} services)"


@pytest.fixture(scope="module")
def dataset(django_db_setup, django_db_blocker, tmp_path_factory) -> Catalog:
    """The demo catalog, its duplication analysis, an unpublished service and one whose text
    is markup (as a careless import might store), and two data releases, one before the
    markup and one after; built once and rolled back afterwards."""
    releases = override_settings(
        RELEASES_ROOT=tmp_path_factory.mktemp("releases"), SITE_URL="http://testserver"
    )
    with django_db_blocker.unblock(), releases, transaction.atomic():
        call_command("load_demo_data", stdout=io.StringIO())
        call_command("make_release", stdout=io.StringIO())
        plan = Plan.objects.filter(services__is_published=True).first()
        transport = Category.objects.get(code="transport")
        for name, published in ((MARKUP_PAYLOADS[0], True), ("비공개 서비스", False)):
            Service.objects.create(
                plan=plan,
                name=name,
                description=MARKUP_PAYLOADS[1],
                category=transport,
                source_page="1",
                is_published=published,
            )
        call_command("find_duplicates", stdout=io.StringIO())
        call_command("make_release", stdout=io.StringIO())
        yield Catalog(
            service_ids=tuple(Service.objects.values_list("pk", flat=True)),
            plan_ids=tuple(Plan.objects.values_list("pk", flat=True)),
            cluster_ids=tuple(IdeaCluster.objects.values_list("pk", flat=True)),
            municipality_codes=tuple(
                Municipality.objects.filter(code__in=["11000", "41000"]).values_list(
                    "code", flat=True
                )
            )
            + tuple(Plan.objects.values_list("municipality__code", flat=True).distinct()),
            category_codes=tuple(Category.objects.values_list("code", flat=True)),
            release_versions=tuple(Release.objects.values_list("version", flat=True)),
        )
        transaction.set_rollback(True)


# -- requests and their checks ----------------------------------------------------------


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def served_safely(response) -> bytes:
    """The body, once checked: no server error; markup sent never comes back raw in HTML;
    other bodies are never sniffed into HTML by a browser. (A streamed body can be read
    only once, hence returned.)"""
    assert response.status_code < 500
    event(f"answered {response.status_code}")
    content = body(response)
    if response.get("Content-Type", "").startswith("text/html"):
        text = content.decode("utf-8", "replace")
        for marker in REFLECTION_MARKERS:
            assert marker not in text, f"unescaped {marker!r} in the page"
    elif content:
        assert response.get("X-Content-Type-Options") == "nosniff"
    return content


# -- the URLs ---------------------------------------------------------------------------


FIXED_PAGES = (
    "catalog:home",
    "catalog:service-list",
    "catalog:municipality-list",
    "catalog:category-list",
    "catalog:compare",
    "analysis:dashboard",
    "analysis:method",
    "analysis:lexicon",
    "releases:list",
    "healthz",
)
PAGES_WITH_ARGUMENTS = (
    "catalog:service-detail",
    "catalog:plan-detail",
    "catalog:municipality-detail",
    "catalog:category-detail",
    "analysis:idea-detail",
    "analysis:idea-export",
    "analysis:idea-timeline",
    "analysis:idea-fields",
    "releases:download",
    "releases:changes",
    "releases:changes-export",
)


def page_path(dataset: Catalog, route: str) -> st.SearchStrategy[str]:
    """A public page's paths: its real arguments and unreal ones."""
    if route in FIXED_PAGES:
        return st.just(reverse(route))
    clusters = st.one_of(
        st.sampled_from(dataset.cluster_ids), st.integers(min_value=0, max_value=10**30)
    )
    versions = st.one_of(
        st.sampled_from(dataset.release_versions),
        st.from_regex(VERSION_PATTERN, fullmatch=True),
    )
    arguments = {
        "catalog:service-detail": st.one_of(
            st.sampled_from(dataset.service_ids), st.integers(min_value=0, max_value=10**30)
        ),
        "catalog:plan-detail": st.one_of(
            st.sampled_from(dataset.plan_ids), st.integers(min_value=0, max_value=10**30)
        ),
        "catalog:municipality-detail": st.one_of(
            st.sampled_from(dataset.municipality_codes),
            st.from_regex(r"[0-9]{5}", fullmatch=True),
        ),
        "catalog:category-detail": st.one_of(
            st.sampled_from(dataset.category_codes),
            st.from_regex(r"[-a-zA-Z0-9_]+", fullmatch=True),
        ),
        "analysis:idea-detail": clusters,
        "analysis:idea-export": clusters,
        "analysis:idea-timeline": clusters,
        "analysis:idea-fields": clusters,
        "releases:download": versions,
        "releases:changes": versions,
        "releases:changes-export": st.tuples(
            versions,
            st.one_of(
                st.sampled_from(["services", "figures"]),
                st.from_regex(r"[-a-zA-Z0-9_]+", fullmatch=True),
            ),
        ),
    }[route]
    return arguments.map(
        lambda argument: reverse(
            route, args=list(argument) if isinstance(argument, tuple) else [argument]
        )
    )


# Tested by their own properties below.
OTHER_FUZZED_ROUTES = ("catalog:service-export", "analysis:export", "set_language")


def public_route_names(patterns=None, namespace: str = "") -> set[str]:
    """Every named route of the site outside the admin."""
    names = set()
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name != "admin":
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                names |= public_route_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_public_route_is_fuzzed():
    fuzzed = {*FIXED_PAGES, *PAGES_WITH_ARGUMENTS, *OTHER_FUZZED_ROUTES}
    assert public_route_names() == fuzzed


# Mostly GET, whose page can reflect what was sent; a POST without a CSRF token is refused.
METHODS = ("GET", "GET", "GET", "HEAD", "OPTIONS", "POST")


@pytest.mark.parametrize("route", FIXED_PAGES + PAGES_WITH_ARGUMENTS)
@FUZZ
@given(data=st.data())
def test_pages_never_fail_or_reflect_markup(dataset, route, data):
    path = data.draw(page_path(dataset, route), label="path")
    query = data.draw(query_strings(), label="query")
    method = data.draw(st.sampled_from(METHODS), label="method")
    client = Client(enforce_csrf_checks=True)
    served_safely(client.generic(method, f"{path}?{query}", **data.draw(visitor_headers())))


@FUZZ
@given(
    prefix=st.sampled_from(
        [
            "/",
            "/services/",
            "/plans/",
            "/ideas/",
            "/municipalities/",
            "/categories/",
            "/analysis/",
            "/data/",
        ]
    ),
    segments=st.lists(path_segments(), min_size=1, max_size=4),
    query=query_strings(),
)
def test_unknown_paths_never_fail_or_reflect_markup(dataset, prefix, segments, query):
    served_safely(Client().get(f"{prefix}{'/'.join(segments)}?{query}"))


# -- exports ----------------------------------------------------------------------------

FORMAT_VALUES = st.one_of(
    st.sampled_from([*SERVICE_EXPORT_FORMATS, "CSV", "xls", "pdf", ""]), hostile_text()
)


@st.composite
def export_queries(draw) -> str:
    """Filters as on the browse page, often with a format (valid or not) at the end."""
    query = draw(query_strings())
    formats = draw(st.lists(FORMAT_VALUES, max_size=2))
    return "&".join(filter(None, [query, *(urlencode({"format": f}) for f in formats)]))


def assert_is_file_of(export_format: str, content: bytes) -> None:
    if export_format == "json":
        assert isinstance(json.loads(content)["services"], list)
    elif export_format == "xlsx":
        assert content.startswith(b"PK\x03\x04")
    else:
        header = next(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        assert tuple(header) == COLUMNS


@FUZZ
@given(query=export_queries())
def test_service_export_is_a_file_of_the_format_or_a_plain_400(dataset, query):
    response = Client().get(f"{reverse('catalog:service-export')}?{query}")
    export_format = QueryDict(query).get("format", "csv")
    content = served_safely(response)
    if response.status_code == 200:
        assert response["Content-Type"] == EXPORT_CONTENT_TYPES[export_format]
        assert_is_file_of(export_format, content)
    else:
        assert response.status_code == 400
        assert response["Content-Type"] == PLAIN_TEXT


@FUZZ
@given(
    table=st.one_of(
        st.sampled_from(ANALYSIS_TABLES), st.from_regex(r"[-a-z0-9_]+", fullmatch=True)
    ),
    query=export_queries(),
)
def test_analysis_export_is_a_file_of_the_format_or_a_plain_400(dataset, table, query):
    response = Client().get(f"{reverse('analysis:export', args=[table])}?{query}")
    export_format = QueryDict(query).get("format", "csv")
    content = served_safely(response)
    if export_format not in ("csv", "xlsx"):
        assert (response.status_code, response["Content-Type"]) == (400, PLAIN_TEXT)
    elif table not in ANALYSIS_TABLES:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert response["Content-Type"] == EXPORT_CONTENT_TYPES[export_format]
        assert content


# -- language switch --------------------------------------------------------------------

OFF_SITE_TARGETS = (
    "//evil.example/",
    "https://evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "\t//evil.example",
    "http:evil.example",
    "javascript:alert(1)",
    "/services/?q=<script>alert(1)</script>",
)


def assert_stays_on_site(location: str) -> None:
    target = urlsplit(location)
    assert target.scheme in ("", "http")
    assert target.netloc in ("", "testserver")
    assert not target.path.startswith(("//", "/\\", "\\"))


@FUZZ
@given(
    language=st.one_of(st.sampled_from(["ko", "en", "EN", "ja", ""]), hostile_text()),
    next_url=st.one_of(st.sampled_from(OFF_SITE_TARGETS), hostile_text()),
    referer=st.one_of(st.none(), st.sampled_from(OFF_SITE_TARGETS), hostile_text()),
    method=st.sampled_from(["POST", "GET"]),
)
def test_language_switch_never_fails_or_leaves_the_site(
    dataset, language, next_url, referer, method
):
    client = Client()
    headers = {} if referer is None else {"HTTP_REFERER": latin1(referer)}
    query = urlencode({"language": language, "next": next_url})
    if method == "POST":
        response = client.post(
            reverse("set_language"), query, "application/x-www-form-urlencoded", **headers
        )
    else:
        response = client.get(f"{reverse('set_language')}?{query}", **headers)
    served_safely(response)
    if response.has_header("Location"):
        assert_stays_on_site(response["Location"])
        served_safely(client.get(response["Location"]))
