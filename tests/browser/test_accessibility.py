"""Every public page, checked by axe-core in Chromium at a desktop and a phone width, and the
phone layout of the browse page and the main menu.

axe-core comes bundled with the ``axe-playwright-python`` package (its ``axe.min.js``); the
check downloads nothing. No rule is switched off.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import Page, expect

from analysis.models import IdeaCluster
from catalog.models import Category, Municipality, Plan, Service

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
AXE = Axe()


@pytest.fixture
def demo_catalog(reference_data) -> list[str]:
    """The demo catalog after a duplication run; returns the public pages to check."""
    call_command("load_demo_data", verbosity=0)
    call_command("find_duplicates", verbosity=0)
    service = Service.objects.filter(is_published=True).order_by("pk").first()
    idea = (
        IdeaCluster.objects.filter(municipality_count__gte=2)
        .order_by("-municipality_count", "-service_count", "pk")
        .first()
    )
    assert service is not None, "the demo data should hold a published service"
    assert idea is not None, "the demo data should hold an idea shared by two local governments"
    plan = Plan.objects.get(pk=service.plan_id)
    category = Category.objects.get(pk=service.category_id)
    compared = list(
        Municipality.objects.filter(plans__services__is_published=True)
        .distinct()
        .order_by("code")
        .values_list("code", flat=True)[:2]
    )
    assert len(compared) == 2, "the demo data should hold services of two local governments"
    return [
        "/",
        "/services/",
        f"/services/{service.pk}/",
        "/municipalities/",
        f"/municipalities/{plan.municipality.code}/",
        "/categories/",
        f"/categories/{category.code}/",
        f"/compare/?m={compared[0]}&m={compared[1]}",
        "/analysis/",
        "/analysis/method/",
        f"/plans/{plan.pk}/",
        f"/ideas/{idea.pk}/",
    ]


def axe_violations(page: Page, path: str) -> list[str]:
    """axe-core's violations on ``path``, one line per rule and element."""
    response = page.goto(path)
    assert response is not None
    assert response.ok, f"{path} answered {response.status}"
    results = AXE.run(page).response
    return [
        f"{path} [{violation['id']}] {violation['help']}: {node['target']} — "
        f"{node.get('failureSummary', '')}"
        for violation in results["violations"]
        for node in violation["nodes"]
    ]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1280px", "390px"])
def test_public_pages_have_no_axe_violations(page: Page, demo_catalog, viewport, refused_by_policy):
    page.set_viewport_size(viewport)
    violations = [line for path in demo_catalog for line in axe_violations(page, path)]
    assert violations == []
    assert refused_by_policy == []


def test_phone_browse_shows_results_before_filters(page: Page, demo_catalog):
    page.set_viewport_size(PHONE)
    page.goto("/services/")
    filter_form = page.get_by_role("form", name="검색과 필터")
    first_result = page.get_by_role("main").get_by_role("article").first.bounding_box()
    assert first_result is not None
    assert first_result["y"] < PHONE["height"]  # on the first screen
    # The filters wait folded below the results, and open on demand without JavaScript.
    expect(filter_form).to_be_hidden()
    summary = page.locator("summary").filter(has_text="검색과 필터")
    assert summary.bounding_box()["y"] > first_result["y"]
    jump = page.get_by_role("main").get_by_role("link", name="검색과 필터")
    expect(jump).to_be_visible()
    jump.click()
    expect(page).to_have_url(re.compile(r"#filters$"))
    summary.click()
    expect(filter_form).to_be_visible()
    summary.click()
    expect(filter_form).to_be_hidden()


def test_wide_browse_keeps_filters_beside_results(page: Page, demo_catalog):
    page.set_viewport_size(DESKTOP)
    page.goto("/services/")
    first_result = page.get_by_role("main").get_by_role("article").first.bounding_box()
    filters = page.get_by_role("form", name="검색과 필터").bounding_box()
    assert first_result is not None
    assert filters is not None
    assert filters["x"] + filters["width"] <= first_result["x"]
    expect(page.get_by_role("main").get_by_role("link", name="검색과 필터")).to_be_hidden()


def menu_words_broken(page: Page) -> list[str]:
    """Menu items taller than one line (a word broken) or running past the screen's edge."""
    broken = []
    for link in page.get_by_role("navigation").first.get_by_role("link").all():
        box = link.bounding_box()
        assert box is not None
        line_height = link.evaluate("a => parseFloat(getComputedStyle(a).lineHeight)")
        if box["height"] >= 1.5 * line_height or box["x"] + box["width"] > PHONE["width"]:
            broken.append(f"{link.inner_text()!r}: {box}")
    return broken


def test_phone_menu_never_breaks_a_word(page: Page, demo_catalog):
    page.set_viewport_size(PHONE)
    page.goto("/")
    assert menu_words_broken(page) == []
    page.get_by_label("언어").select_option("en")
    page.get_by_role("button", name="바꾸기").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert menu_words_broken(page) == []
