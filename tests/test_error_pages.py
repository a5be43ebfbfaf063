"""Korean error pages that leak nothing, rendered as production renders them (DEBUG off)."""

import pytest
from django.core.exceptions import BadRequest, PermissionDenied
from django.db import OperationalError
from django.test import Client
from django.urls import path

from config.urls import urlpatterns as project_urlpatterns

SECRET_DETAIL = "internal-detail-7f3a"


def refuse(request):
    raise PermissionDenied(SECRET_DETAIL)


def reject(request):
    raise BadRequest(SECRET_DETAIL)


def lose_the_database(request):
    raise OperationalError(SECRET_DETAIL)


# The project's URLs plus views that fail on purpose.
urlpatterns = [
    path("test-errors/403/", refuse),
    path("test-errors/400/", reject),
    path("test-errors/500/", lose_the_database),
    *project_urlpatterns,
]

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def production_errors(settings):
    settings.DEBUG = False


def assert_leaks_nothing(response, settings):
    body = response.content.decode()
    assert "Traceback" not in body
    assert SECRET_DETAIL not in body
    assert settings.SECRET_KEY not in body
    assert "DJANGO_SETTINGS_MODULE" not in body


@pytest.mark.parametrize(
    ("url", "status", "heading"),
    [
        ("/test-errors/400/", 400, "잘못된 요청입니다"),
        ("/test-errors/403/", 403, "접근 권한이 없습니다"),
        ("/no-such-page/", 404, "페이지를 찾을 수 없습니다"),
    ],
)
def test_error_pages_explain_in_korean_and_leak_nothing(client, settings, url, status, heading):
    response = client.get(url)
    assert response.status_code == status
    assert f"<h1>{heading}</h1>" in response.content.decode()
    assert_leaks_nothing(response, settings)


def test_error_pages_keep_the_site_header_and_are_not_indexed(client):
    body = client.get("/no-such-page/").content.decode()
    assert 'class="site-header"' in body
    assert '<meta name="robots" content="noindex">' in body


def test_a_not_found_page_does_not_echo_markup_from_the_address(client):
    response = client.get("/<script>alert(1)</script>/")
    assert response.status_code == 404
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_an_unknown_host_gets_the_korean_bad_request_page(client):
    response = client.get("/", HTTP_HOST="attacker.example")
    assert response.status_code == 400
    assert "잘못된 요청입니다" in response.content.decode()
    assert "attacker.example" not in response.content.decode()


def test_a_failing_view_gets_the_korean_server_error_page(client, settings):
    client.raise_request_exception = False
    response = client.get("/test-errors/500/")
    assert response.status_code == 500
    assert "<h1>일시적인 오류가 발생했습니다</h1>" in response.content.decode()
    assert_leaks_nothing(response, settings)


def test_the_server_error_page_renders_without_the_database(client, django_assert_num_queries):
    client.raise_request_exception = False
    with django_assert_num_queries(0):
        response = client.get("/test-errors/500/")
    assert response.status_code == 500
    assert 'href="/static/css/site.css"' in response.content.decode()


def test_error_pages_are_served_with_the_content_security_policy(client):
    client.raise_request_exception = False
    for url in ("/no-such-page/", "/test-errors/500/"):
        assert "frame-ancestors 'none'" in client.get(url)["Content-Security-Policy"]


def test_a_form_without_its_csrf_token_gets_the_korean_csrf_page(settings):
    response = Client(enforce_csrf_checks=True).post("/i18n/setlang/", {"language": "en"})
    body = response.content.decode()
    assert response.status_code == 403
    assert "<h1>요청을 확인할 수 없습니다</h1>" in body
    assert "CSRF verification failed" not in body
    assert_leaks_nothing(response, settings)
