"""A visitor follows a service to the idea several local governments plan, reads its timeline
chart, opens the first adopter's plan, compares two adopters and reads the idea in English."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from analysis.models import IdeaCluster

pytestmark = pytest.mark.browser

CHART_TITLE_KO = "연도별로 이 아이디어를 계획한 서비스"
CHART_TITLE_EN = "Services planning this idea by year"
IDEA_PATH = re.compile(r"/ideas/(\d+)/$")
PLAN_PATH = re.compile(r"/plans/(\d+)/$")
MUNICIPALITY_PATH = re.compile(r"^/municipalities/(\d{5})/$")

# Chromium fires ``securitypolicyviolation`` on the document for every refusal; recorded
# from the first script of each document on, and read back after the page has loaded.
RECORD_POLICY_VIOLATIONS = """
window.__policyViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__policyViolations.push(
    `${event.violatedDirective} refused ${event.blockedURI || "inline"}`
  );
});
"""


@pytest.fixture
def shared_idea(reference_data) -> IdeaCluster:
    """The demo catalog after a duplication run; the idea planned by the most local governments."""
    call_command("load_demo_data", verbosity=0)
    call_command("find_duplicates", verbosity=0)
    idea = (
        IdeaCluster.objects.filter(municipality_count__gte=2)
        .order_by("-municipality_count", "-service_count", "pk")
        .first()
    )
    assert idea is not None, "the demo data should hold an idea shared by two local governments"
    return idea


@pytest.fixture
def policy_violations(page: Page):
    """Reads what the Content Security Policy refused on the page now open (DOM events)."""
    page.add_init_script(RECORD_POLICY_VIOLATIONS)

    def read() -> list[str]:
        page.wait_for_load_state("load")
        recorded = page.evaluate("window.__policyViolations")
        assert recorded is not None, "the violation recorder did not run on this page"
        return recorded

    return read


def a_service_of(idea: IdeaCluster):
    return idea.members.filter(service__is_published=True).select_related("service").first().service


def hrefs(links) -> list[str]:
    return [link.get_attribute("href") for link in links.all()]


def open_idea_from_service(page: Page, service_url: str):
    """Open the service page and follow its "same idea elsewhere" link; return the response."""
    page.goto(service_url)
    elsewhere = page.get_by_role("region", name="다른 곳의 같은 아이디어")
    expect(elsewhere).to_be_visible()
    with page.expect_response(lambda response: IDEA_PATH.search(response.url)) as response_info:
        elsewhere.get_by_role("link", name="이 아이디어를 계획한 모든 자치단체와 연도 보기").click()
    return response_info.value


def timeline_chart(page: Page, title: str):
    return page.get_by_role("img", name=re.compile(rf"^{re.escape(title)}"))


def adopter_codes(page: Page) -> list[str]:
    """The local governments in the idea's service table, in the order the page lists them."""
    services = page.get_by_role("region", name="계획한 서비스")
    codes = []
    for href in hrefs(services.get_by_role("link")):
        match = MUNICIPALITY_PATH.match(href or "")
        if match and match[1] not in codes:
            codes.append(match[1])
    return codes


def test_visitor_follows_a_shared_idea_to_its_chart_first_plan_and_a_comparison(
    page: Page, shared_idea, policy_violations, refused_by_policy
):
    idea_path = f"/ideas/{shared_idea.pk}/"
    service = a_service_of(shared_idea)

    # 1. The service page links to the idea page.
    response = open_idea_from_service(page, service.get_absolute_url())
    expect(page).to_have_url(re.compile(rf"{re.escape(idea_path)}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(shared_idea.label)

    # 2. The timeline chart is drawn, under a policy that refused nothing.
    assert response.status == 200
    policy = response.headers.get("content-security-policy", "")
    assert "default-src 'self'" in policy
    chart = timeline_chart(page, CHART_TITLE_KO)
    expect(chart).to_be_visible()
    expect(chart.locator(":scope > title")).to_have_text(CHART_TITLE_KO)
    assert page.get_by_role("region", name="연도별 확산").locator("svg").count() == 1
    assert policy_violations() == []
    assert refused_by_policy == []

    codes = adopter_codes(page)
    assert len(codes) >= 2, codes

    first_row = page.get_by_role("row").filter(has_text="처음 계획").first
    plan_link = first_row.locator("a[href^='/plans/']")
    plan_title = plan_link.inner_text()
    plan_link.click()
    expect(page).to_have_url(PLAN_PATH)
    expect(page.get_by_role("heading", level=1)).to_contain_text(plan_title)

    # 3. Two adopters compared: the idea they share is listed, linking back to its page.
    page.goto(f"/compare/?m={codes[0]}&m={codes[1]}")
    assert parse_qs(urlsplit(page.url).query)["m"] == codes[:2]
    together = page.get_by_role("region", name="함께 계획한 아이디어")
    idea_link = together.get_by_role("link", name=shared_idea.label, exact=True)
    expect(idea_link).to_have_attribute("href", idea_path)
    assert policy_violations() == []
    idea_link.click()
    expect(page).to_have_url(re.compile(rf"{re.escape(idea_path)}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(shared_idea.label)
    assert policy_violations() == []
    assert refused_by_policy == []


def test_idea_page_in_english_titles_its_timeline_chart_in_english(
    page: Page, shared_idea, policy_violations, refused_by_policy
):
    page.goto(f"/ideas/{shared_idea.pk}/")
    expect(timeline_chart(page, CHART_TITLE_KO)).to_be_visible()

    page.get_by_label("언어").select_option(label="English")
    page.get_by_role("button", name="바꾸기").click()

    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(rf"/ideas/{shared_idea.pk}/$"))
    chart = timeline_chart(page, CHART_TITLE_EN)
    expect(chart).to_be_visible()
    expect(chart.locator(":scope > title")).to_have_text(CHART_TITLE_EN)
    assert policy_violations() == []
    assert refused_by_policy == []
