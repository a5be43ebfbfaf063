"""``/compare/`` and ideas: those the compared local governments share and those only one of
them plans, each linking to its idea page; the Jaccard similarity of every pair; the services
of shared ideas marked in the field table."""

import re

import pytest
from django.urls import reverse

from analysis.models import IdeaCluster
from analysis.runs import find_and_store

pytestmark = pytest.mark.django_db

GOYANG, GIMHAE, DALSEO = "41280", "48250", "27290"
MARKER = '<span class="compare-shared"><span aria-hidden="true">공통</span>'


@pytest.fixture
def ideas(copied_ideas) -> dict[str, IdeaCluster]:
    """After a run: the crossing of 고양, 김해 and 대구 동구; the bus stop of 대구 달서구 and
    영주; one service of each of 고양, 김해 and 대구 달서구 planned nowhere else."""
    find_and_store()
    return {
        name: IdeaCluster.objects.get(members__service=copied_ideas[name][0])
        for name in ("crossing", "bus_stop")
    }


def compare(client, *codes):
    return client.get(reverse("catalog:compare"), {"m": list(codes)})


def codes(municipalities) -> list[str]:
    return [municipality.code for municipality in municipalities]


def test_ideas_two_compared_governments_plan_are_listed_with_who_plans_them(client, ideas):
    comparison = compare(client, GOYANG, GIMHAE, DALSEO).context["ideas"]
    assert [idea.cluster for idea in comparison.shared] == [ideas["crossing"]]
    assert codes(comparison.shared[0].planners) == [GOYANG, GIMHAE]


def test_ideas_only_one_compared_government_plans_are_listed_under_it(client, ideas):
    comparison = compare(client, GOYANG, GIMHAE, DALSEO).context["ideas"]
    own = {entry.municipality.code: entry for entry in comparison.own}
    assert own[DALSEO].clusters == [ideas["bus_stop"]]
    assert own[GOYANG].clusters == own[GIMHAE].clusters == []
    assert [entry.services_found_nowhere_else for entry in comparison.own] == [1, 1, 1]


def test_a_shared_idea_is_no_one_s_own_when_another_compared_government_plans_it(client, ideas):
    comparison = compare(client, DALSEO, "47210").context["ideas"]
    assert [idea.cluster for idea in comparison.shared] == [ideas["bus_stop"]]
    assert [entry.clusters for entry in comparison.own] == [[], []]


def test_similarity_matrix_holds_the_jaccard_of_every_pair(client, ideas):
    # 고양: crossing, 조류 퇴치; 김해: crossing, 스마트팜; 달서: bus stop, 하천 염도.
    # 고양–김해: 1 common idea of 3 → 0.33; 달서 shares none → 0.00; each with itself 1.00.
    comparison = compare(client, GOYANG, GIMHAE, DALSEO).context["ideas"]
    matrix = [[round(value, 2) for value in row.jaccards] for row in comparison.similarity]
    assert matrix == [[1.0, 0.33, 0.0], [0.33, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert codes(row.municipality for row in comparison.similarity) == [GOYANG, GIMHAE, DALSEO]


def test_similarity_matrix_is_a_table_with_headers_and_two_decimals(client, ideas):
    body = compare(client, GOYANG, GIMHAE).content.decode()
    matrix = body[body.index('class="shares compare-similarity"') :]
    matrix = matrix[: matrix.index("</table>")]
    assert matrix.count('<th scope="col">') == 2
    assert matrix.count('<th scope="row">') == 2
    assert re.findall(r'<td class="num">([^<]*)</td>', matrix) == ["1.00", "0.33", "0.33", "1.00"]


def test_similarity_without_any_idea_is_shown_as_none(client, ideas):
    comparison = compare(client, GOYANG, "11110").context["ideas"]
    assert [row.jaccards for row in comparison.similarity] == [[1.0, 0.0], [0.0, None]]
    assert "아이디어 없음" in compare(client, GOYANG, "11110").content.decode()


def test_field_table_marks_services_whose_idea_another_compared_government_plans(
    client, ideas, copied_ideas
):
    body = compare(client, GOYANG, GIMHAE, DALSEO).content.decode()
    table = body[body.index('class="shares compare-table"') : body.index("</table>")]
    for service in copied_ideas["crossing"][:2]:
        assert f'{service.get_absolute_url()}">{service.name}</a> {MARKER}' in table
    for service in [*copied_ideas["alone"], copied_ideas["bus_stop"][0]]:
        assert f'{service.get_absolute_url()}">{service.name}</a></li>' in table
    assert table.count(MARKER) == 2
    assert "비교한 다른 자치단체도 계획하는 아이디어" in table


def test_ideas_link_to_their_idea_pages(client, ideas):
    body = compare(client, GOYANG, GIMHAE, DALSEO).content.decode()
    for cluster in ideas.values():
        assert f'<a href="{cluster.get_absolute_url()}">{cluster.label}</a>' in body
        assert client.get(cluster.get_absolute_url()).status_code == 200


def test_ideas_are_not_shown_before_two_governments_are_chosen(client, ideas):
    response = compare(client, GOYANG)
    assert response.context["ideas"] is None
    assert "shared-ideas-title" not in response.content.decode()


def test_compare_ideas_speak_english_when_asked(client, ideas):
    client.cookies["django_language"] = "en"
    body = compare(client, GOYANG, GIMHAE, DALSEO).content.decode()
    for korean in ("함께 계획한 아이디어", "한 곳만 계획한 아이디어", "아이디어 유사도", "공통"):
        assert korean not in body
    assert re.search(r"<h2 id=\"similarity-title\">[A-Za-z ]+</h2>", body)


def test_compare_query_count_does_not_grow_with_services(
    client, ideas, add, django_assert_num_queries
):
    def queries_for_compare() -> None:
        with django_assert_num_queries(QUERIES_PER_COMPARE):
            compare(client, GOYANG, GIMHAE, DALSEO)

    queries_for_compare()
    for number in range(10):
        add(GOYANG, f"스마트 가로등 {number}")
        add(DALSEO, f"스마트 주차 {number}")
    find_and_store()
    queries_for_compare()


# The municipality directory, each field's counts and shares, the listed services, the
# shared clusters, and each municipality's number of ideas: the catalog's revision, read before
# and after the published catalog is read into its idea table.
QUERIES_PER_COMPARE = 7
