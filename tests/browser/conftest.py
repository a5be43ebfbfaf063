"""Real-browser journeys: Debian's Chromium, driven by Playwright, against a live server.

Run with ``make test-browser``; the normal suite leaves them out (``-m 'not browser'``).
"""

import os

import pytest
from django.core.management import call_command

from catalog.models import Category, Municipality, Plan, Service

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session", autouse=True)
def orm_beside_the_event_loop():
    """Playwright's sync API runs an event loop in the test's thread; the ORM calls the
    journeys make beside it are ordinary synchronous calls. Set only while journeys run, so
    that the rest of the suite keeps Django's guard."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """Debian's Chromium: Playwright cannot download its own browsers here."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM}


@pytest.fixture(scope="session")
def base_url(live_server):
    """Pages open relative to the live server: ``page.goto("/services/")``."""
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """A visitor whose browser asks for Korean (Chromium's own default is English)."""
    return {**browser_context_args, "locale": "ko-KR"}


@pytest.fixture
def reference_data(transactional_db, django_db_serialized_rollback):
    """The 243 local governments, 12 fields and tags, as every deployment has them.

    Each journey flushes the database when it ends; the serialized rollback brings back
    what the migrations wrote (the staff roles among it) for the next one.
    """
    call_command("load_reference_data", verbosity=0)


@pytest.fixture
def add_plan(reference_data):
    """add_plan("41110", "수원시 스마트도시계획") → a plan of that local government."""

    def add(code: str, title: str) -> Plan:
        municipality = Municipality.objects.get(code=code)
        return Plan.objects.create(
            municipality=municipality, title=title, start_year=2024, end_year=2028
        )

    return add


@pytest.fixture
def add_service(reference_data):
    """add_service(plan, "스마트 주차 안내") → a published transport service citing a page."""

    def add(plan: Plan, name: str, **fields) -> Service:
        fields.setdefault("category", Category.objects.get(code="transport"))
        fields.setdefault("source_page", "12")
        fields.setdefault("is_published", True)
        return Service.objects.create(plan=plan, name=name, **fields)

    return add


@pytest.fixture
def refused_by_policy(page) -> list[str]:
    """What the Content Security Policy refused on the journey's pages, as Chromium logs it."""
    refused = []

    def note(message) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", note)
    return refused
