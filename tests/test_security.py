"""Security headers, the Content Security Policy and admin login throttling."""

import json
import os
import subprocess
import sys
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.core.management import call_command
from django.db.models import F
from django.http import HttpResponse
from django.template.defaultfilters import date as date_filter
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from analysis.models import IdeaCluster
from catalog.models import Category, Plan, Service
from config.security import client_ip
from tests.test_settings import GOOD_SECRET

EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}

# Runs in a fresh process with production settings: the response to an HTTPS health probe,
# the redirect of a plain-HTTP request and the settings the environment decided.
PRODUCTION_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
secure = Client().get("/healthz", secure=True)
plain = Client().get("/services/")
print(json.dumps({
    "headers": dict(secure.headers),
    "plain_status": plain.status_code,
    "plain_location": plain.get("Location"),
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "failure_limit": settings.AXES_FAILURE_LIMIT,
    "cool_off_seconds": settings.AXES_COOLOFF_TIME.total_seconds(),
    "proxy_count": settings.TRUSTED_PROXY_COUNT,
}))
"""


def production_process(code: str, **env: str) -> subprocess.CompletedProcess:
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECURE_", "AXES_", "TRUSTED_", "DEBUG", "SECRET_", "ALLOWED_"))
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=settings.BASE_DIR,
        env={
            **inherited,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "0",
            "SECRET_KEY": GOOD_SECRET,
            "ALLOWED_HOSTS": "testserver",
            "DATABASE_URL": "sqlite://:memory:",
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def probe_production(**env: str) -> dict:
    result = production_process(PRODUCTION_PROBE, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def parse_policy(header: str) -> dict[str, list[str]]:
    directives = (part.split() for part in header.split(";") if part.strip())
    return {name: values for name, *values in directives}


@pytest.fixture(scope="module")
def production() -> dict:
    return probe_production()


# Production headers and settings


def test_production_https_responses_carry_hsts_with_subdomains_and_preload(production):
    hsts = production["headers"]["Strict-Transport-Security"]
    assert hsts == "max-age=31536000; includeSubDomains; preload"


def test_production_responses_forbid_sniffing_framing_and_cross_origin_openers(production):
    headers = production["headers"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert headers["Referrer-Policy"] == "same-origin"
    assert parse_policy(headers["Content-Security-Policy"]) == EXPECTED_POLICY


def test_production_redirects_plain_http_and_keeps_cookies_on_https(production):
    assert production["plain_status"] == 301
    assert production["plain_location"] == "https://testserver/services/"
    assert production["session_cookie_secure"] is True
    assert production["csrf_cookie_secure"] is True


def test_production_throttles_five_failures_for_thirty_minutes_and_trusts_no_proxy(production):
    assert production["failure_limit"] == 5
    assert production["cool_off_seconds"] == 30 * 60
    assert production["proxy_count"] == 0


def test_hsts_preload_and_login_throttling_follow_the_environment():
    probe = probe_production(
        SECURE_HSTS_PRELOAD="0",
        AXES_FAILURE_LIMIT="3",
        AXES_COOLOFF_MINUTES="10",
        TRUSTED_PROXY_COUNT="1",
    )
    assert probe["headers"]["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert (probe["failure_limit"], probe["cool_off_seconds"], probe["proxy_count"]) == (3, 600, 1)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("AXES_FAILURE_LIMIT", "0", "AXES_FAILURE_LIMIT must be at least 1"),
        ("AXES_COOLOFF_MINUTES", "0", "AXES_COOLOFF_MINUTES must be at least 1"),
        ("TRUSTED_PROXY_COUNT", "-1", "TRUSTED_PROXY_COUNT must be at least 0"),
        ("TRUSTED_PROXY_COUNT", "two", "TRUSTED_PROXY_COUNT must be an integer"),
    ],
)
def test_a_throttling_value_out_of_range_stops_the_start(variable, value, message):
    result = production_process("import django; django.setup()", **{variable: value})
    assert result.returncode != 0
    assert message in result.stderr


# Content Security Policy


class InlineCodeFinder(HTMLParser):
    """What a policy without 'unsafe-inline' blocks: inline scripts and styles, event-handler
    attributes and ``javascript:`` URLs. JSON-LD blocks are data and are not executed."""

    URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction"})

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.violations: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        is_data_block = attributes.get("type") == "application/ld+json"
        if tag == "script" and not attributes.get("src") and not is_data_block:
            self.violations.append("inline <script>")
        if tag == "style":
            self.violations.append("<style> element")
        for name, value in attrs:
            if name == "style" or name.startswith("on"):
                self.violations.append(f"<{tag} {name}=…>")
            if name in self.URL_ATTRIBUTES and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.violations.append(f"<{tag} {name}=javascript:…>")


def inline_code(response) -> list[str]:
    finder = InlineCodeFinder()
    finder.feed(response.content.decode())
    return finder.violations


@pytest.fixture
def catalog_with_clusters(demo_data):
    call_command("find_duplicates", verbosity=0)


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


def public_urls() -> list[str]:
    service = Service.objects.filter(is_published=True).order_by("pk").first()
    municipality = service.plan.municipality
    return [
        reverse("catalog:home"),
        reverse("catalog:service-list") + "?q=주차&category=transport",
        service.get_absolute_url(),
        reverse("catalog:municipality-list"),
        municipality.get_absolute_url(),
        reverse("catalog:category-list"),
        service.category.get_absolute_url(),
        reverse("catalog:compare") + "?m=41280&m=11000",
        reverse("analysis:dashboard"),
        reverse("analysis:method"),
        IdeaCluster.objects.shared().order_by("pk").first().get_absolute_url(),
        reverse("admin:login"),
    ]


def admin_urls() -> list[str]:
    plan = Plan.objects.filter(services__isnull=False).order_by("pk").first()
    service = plan.services.order_by("pk").first()
    return [
        reverse("admin:index"),
        reverse("admin:catalog_plan_changelist"),
        reverse("admin:catalog_plan_change", args=[plan.pk]),
        reverse("admin:catalog_plan_add"),
        reverse("admin:catalog_service_changelist"),
        reverse("admin:catalog_service_change", args=[service.pk]),
        reverse("admin:catalog_plan_import", args=[plan.pk]),
        reverse("admin:catalog_municipality_changelist"),
        reverse("admin:catalog_category_change", args=[Category.objects.first().pk]),
        reverse("admin:axes_accessattempt_changelist"),
    ]


@pytest.mark.django_db
def test_a_public_page_is_served_with_the_policy(client):
    response = client.get(reverse("catalog:home"))
    assert parse_policy(response["Content-Security-Policy"]) == EXPECTED_POLICY


@pytest.mark.django_db
def test_an_admin_page_is_served_with_the_policy(staff_client):
    response = staff_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert parse_policy(response["Content-Security-Policy"]) == EXPECTED_POLICY


@pytest.mark.django_db
def test_public_pages_carry_nothing_the_policy_would_block(client, catalog_with_clusters):
    for url in public_urls():
        response = client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response) == [], url


@pytest.mark.django_db
def test_admin_pages_carry_nothing_the_policy_would_block(staff_client, catalog_with_clusters):
    for url in admin_urls():
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert inline_code(response) == [], url


@pytest.mark.django_db
def test_service_structured_data_is_a_data_block_the_policy_leaves_alone(client, demo_data):
    service = Service.objects.filter(is_published=True).first()
    response = client.get(service.get_absolute_url())
    assert '<script type="application/ld+json">' in response.content.decode()
    assert inline_code(response) == []


def plain_view(request):
    return HttpResponse("ok")


@pytest.mark.django_db
def test_the_middleware_adds_no_database_query_to_a_page(django_assert_num_queries):
    """Headers, policy and throttling cost no query; only a login consults the attempts."""
    handler = plain_view
    for path in reversed(settings.MIDDLEWARE):
        handler = import_string(path)(handler)
    with django_assert_num_queries(0):
        response = handler(RequestFactory().get("/"))
    assert response.status_code == 200
    assert "Content-Security-Policy" in response


# Admin login throttling

PASSWORD = "correct-horse-battery-staple"


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user("editor", password=PASSWORD, is_staff=True)


def log_in(client, password, username="editor", address="10.0.0.1", **headers):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": reverse("admin:index")},
        REMOTE_ADDR=address,
        **headers,
    )


def fail_until_locked(client, username="editor", address="10.0.0.1", **headers):
    responses = [log_in(client, "wrong", username, address, **headers) for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    return responses[-1]


def is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_five_failures_lock_out_even_the_right_password(client, staff_user):
    fail_until_locked(client)
    response = log_in(client, PASSWORD)
    assert response.status_code == 429
    assert "로그인이 잠겼습니다" in response.content.decode()
    assert not is_logged_in(client)


@pytest.mark.django_db
def test_the_right_password_after_fewer_failures_logs_in(client, staff_user):
    for _ in range(4):
        log_in(client, "wrong")
    response = log_in(client, PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("admin:index")
    assert is_logged_in(client)


@pytest.mark.django_db
def test_a_success_resets_the_count_of_failures(client, staff_user):
    for _ in range(4):
        log_in(client, "wrong")
    log_in(client, PASSWORD)
    client.logout()
    for _ in range(4):
        log_in(client, "wrong")
    assert log_in(client, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_lockout_holds_for_one_username_from_one_address(client, staff_user, django_user_model):
    django_user_model.objects.create_user("reviewer", password=PASSWORD, is_staff=True)
    fail_until_locked(client, "editor", "10.0.0.1")
    assert log_in(client, PASSWORD, "editor", "10.0.0.2").status_code == 302
    client.logout()
    assert log_in(client, PASSWORD, "reviewer", "10.0.0.1").status_code == 302


@pytest.mark.django_db
def test_the_lockout_page_says_in_korean_when_to_try_again(client, staff_user):
    response = fail_until_locked(client)
    attempt = AccessAttempt.objects.get(username="editor")
    retry_at = attempt.attempt_time + timedelta(minutes=30)
    with translation.override("ko"):
        expected_time = date_filter(timezone.localtime(retry_at), "DATETIME_FORMAT")
    body = response.content.decode()
    assert "5번 실패" in body
    assert "30분" in body
    assert expected_time in body
    assert response["Retry-After"] == "1800"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_lockout_lifts_after_the_cool_off(client, staff_user):
    fail_until_locked(client)
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=31))
    assert log_in(client, PASSWORD).status_code == 302


@pytest.mark.django_db
def test_a_forged_forwarded_for_header_does_not_escape_the_lockout(client, staff_user):
    responses = [
        log_in(client, "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{number}") for number in range(5)
    ]
    assert responses[-1].status_code == 429
    assert log_in(client, PASSWORD, HTTP_X_FORWARDED_FOR="203.0.113.1").status_code == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_is_throttled_alone(client, staff_user, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    fail_until_locked(client, address="10.0.0.254", HTTP_X_FORWARDED_FOR="203.0.113.5")
    other_client = log_in(
        client, PASSWORD, address="10.0.0.254", HTTP_X_FORWARDED_FOR="203.0.113.6"
    )
    assert other_client.status_code == 302
    assert AccessAttempt.objects.get().ip_address == "203.0.113.5"


@pytest.mark.parametrize(
    ("proxy_count", "forwarded_for", "expected"),
    [
        (0, "203.0.113.5", "10.0.0.1"),
        (1, "203.0.113.5", "203.0.113.5"),
        (1, "198.51.100.7, 203.0.113.5", "203.0.113.5"),
        (2, "198.51.100.7, 203.0.113.5, 10.0.0.2", "203.0.113.5"),
        (2, "203.0.113.5", "10.0.0.1"),
        (1, "", "10.0.0.1"),
        (1, "not-an-address", "10.0.0.1"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_address_trusts_only_the_configured_proxies(
    settings, proxy_count, forwarded_for, expected
):
    settings.TRUSTED_PROXY_COUNT = proxy_count
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_ip(request) == expected


@pytest.mark.django_db
def test_staff_unlock_a_lockout_by_deleting_its_attempt_in_the_admin(
    client, staff_user, admin_user
):
    fail_until_locked(client)
    admin = type(client)()
    admin.force_login(admin_user)
    attempt = AccessAttempt.objects.get()
    response = admin.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert log_in(client, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "key", ["\x00aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "a" * 31 + "ü", "../" * 11]
)
def test_a_forged_session_cookie_is_no_session_at_all(client, key):
    client.cookies["sessionid"] = key
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert "sessionid" not in response.cookies or response.cookies["sessionid"].value != key
