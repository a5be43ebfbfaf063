"""``/services/``: facets with counts, chips, sorting, paging and bad input."""

import pytest
from django.urls import reverse

from catalog import revision
from catalog.models import Category, Municipality, Plan, SubCategory, Tag

pytestmark = pytest.mark.django_db
URL = reverse("catalog:service-list")


@pytest.fixture
def cities(make_service):
    """고양시 (경기) 3 services, 김해시 (경남) 2, 대구 동구 1; one draft."""
    goyang = Municipality.objects.get(code="41280")
    gimhae = Municipality.objects.get(code="48250")
    donggu = Municipality.objects.get(code="27140")
    plans = {
        m.code: Plan.objects.create(municipality=m, title=f"{m.name} 계획", kind=kind, start_year=y)
        for m, kind, y in [
            (goyang, "master_plan", 2020),
            (gimhae, "solution", 2022),
            (donggu, "solution", 2024),
        ]
    }
    transport = Category.objects.get(code="transport")
    safety = Category.objects.get(code="safety-disaster")
    parking = SubCategory.objects.get(code="transport-parking")
    cctv, children = Tag.objects.get(slug="cctv"), Tag.objects.get(slug="어린이")
    made = [
        make_service(
            "공영주차장 안내", plan=plans["41280"], category=transport, subcategory=parking
        ),
        make_service("스마트 버스정류장", plan=plans["41280"], category=transport),
        make_service("지능형 CCTV", plan=plans["41280"], category=safety, status="operating"),
        make_service("주차 공유", plan=plans["48250"], category=transport, subcategory=parking),
        make_service("어린이 안심 통학", plan=plans["48250"], category=safety),
        make_service("스마트 횡단보도", plan=plans["27140"], category=transport),
        make_service(
            "비공개 주차 초안", plan=plans["41280"], category=transport, is_published=False
        ),
    ]
    made[2].tags.add(cctv)
    made[4].tags.add(children, cctv)
    return made


def names(response) -> list[str]:
    return [service.name for service in response.context["page"].object_list]


def facet(response, name) -> dict[str, int]:
    options = next(f for f in response.context["facets"] if f.name == name).options
    return {option.value: option.count for option in options}


def test_lists_only_published_services(client, cities):
    response = client.get(URL)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 6
    assert "비공개 주차 초안" not in response.content.decode()


def test_values_within_a_facet_are_ored_and_facets_anded(client, cities):
    response = client.get(URL, {"sido": ["41", "48"], "category": "transport"})
    assert names(response) == ["공영주차장 안내", "스마트 버스정류장", "주차 공유"]


def test_facet_counts_ignore_their_own_selection(client, cities):
    response = client.get(URL, {"category": "transport"})
    assert facet(response, "category") == {"transport": 4, "safety-disaster": 2}
    assert facet(response, "sido") == {"41": 2, "48": 1, "27": 1}
    assert facet(response, "subcategory") == {"transport-parking": 2}


def test_options_without_matches_are_hidden_but_selected_ones_stay(client, cities):
    response = client.get(URL, {"sido": "27", "status": "operating"})
    assert names(response) == []
    assert facet(response, "status") == {"planned": 1, "operating": 0}
    assert "building" not in facet(response, "status")


def test_tag_filter_counts_each_service_once(client, cities):
    response = client.get(URL, {"tag": ["cctv", "어린이"]})
    assert names(response) == ["어린이 안심 통학", "지능형 CCTV"]
    assert facet(response, "tag") == {"cctv": 2, "어린이": 1}


def test_plan_kind_status_and_municipality_filters(client, cities):
    assert names(client.get(URL, {"kind": "solution", "municipality": "27140"})) == [
        "스마트 횡단보도"
    ]
    assert names(client.get(URL, {"status": "operating"})) == ["지능형 CCTV"]


def test_year_range_keeps_plans_that_reach_into_it(client, cities):
    assert len(names(client.get(URL, {"year_from": "2022"}))) == 3
    assert names(client.get(URL, {"year_to": "2021"})) == [
        "공영주차장 안내",
        "스마트 버스정류장",
        "지능형 CCTV",
    ]


def test_search_combines_with_facets_and_sorts_by_relevance(client, cities):
    response = client.get(URL, {"q": "주차", "sido": "41"})
    assert names(response) == ["공영주차장 안내"]
    assert response.context["sort"] == "relevance"


def test_chips_name_each_condition_and_remove_only_it(client, cities):
    response = client.get(URL, {"q": "주차", "category": "transport", "sido": "48"})
    chips = {chip.label: chip.remove_url for chip in response.context["chips"]}
    assert "분야: 교통" in chips
    assert "“주차”" in chips
    follow = client.get(URL + chips["분야: 교통"])
    assert follow.context["filterset"].form.cleaned_data["category"] == []
    assert follow.context["filterset"].form.cleaned_data["sido"] == ["48"]
    assert response.context["clear_url"] == "?q=%EC%A3%BC%EC%B0%A8"


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("name", "공영주차장 안내"),
        ("municipality", "스마트 횡단보도"),
        ("newest", "스마트 횡단보도"),
    ],
)
def test_whitelisted_sorts(client, cities, sort, first):
    assert names(client.get(URL, {"sort": sort}))[0] == first


def test_unknown_sort_and_page_size_fall_back_to_defaults(client, cities):
    response = client.get(URL, {"sort": "id; DROP TABLE x", "per_page": "100000"})
    assert response.status_code == 200
    assert response.context["sort"] == "name"
    assert response.context["per_page"] == 20


def test_pagination_keeps_filters(client, make_service):
    for i in range(25):
        make_service(f"서비스 {i:02d}")
    response = client.get(URL, {"category": "safety-disaster", "page": "2"})
    assert len(names(response)) == 5
    assert response.context["page_url_base"] == "?category=safety-disaster&"


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "999999"},
        {"page": "-1"},
        {"year_from": "foo"},
        {"year_to": "99999999999999999999"},
        {"category": ["nope", ""]},
        {"municipality": ["abcde", "1", "99999"]},
        {"sido": "x" * 3000},
        {"q": "x" * 5000},
        {"q": "\x00"},
        {"tag": "<script>"},
        {"per_page": "-5", "sort": ""},
    ],
)
def test_bad_input_still_gives_a_normal_page(client, cities, params):
    response = client.get(URL, params)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode().split("</head>")[1].replace(
        "<script type", ""
    )


def test_unknown_codes_are_reported_and_ignored(client, cities):
    response = client.get(URL, {"category": "nope"})
    assert "알 수 없는 값이 있어" in response.content.decode()
    assert response.context["page"].paginator.count == 6


def test_an_unknown_value_does_not_drop_the_known_ones_of_its_facet(client, cities):
    response = client.get(URL, {"category": ["safety-disaster", "nope"]})
    assert names(response) == ["어린이 안심 통학", "지능형 CCTV"]
    response = client.get(URL, {"municipality": ["27140", "99999", "abc"]})
    assert names(response) == ["스마트 횡단보도"]


def test_an_over_long_query_is_cut_not_ignored(client, cities):
    response = client.get(URL, {"q": "주차" + "x" * 5000})
    assert response.context["page"].paginator.count == 0
    response = client.get(URL, {"q": "주차 " + " " * 5000})
    assert names(response) == ["공영주차장 안내", "주차 공유"]


def test_plan_filter_and_its_chip(client, cities):
    plan = Plan.objects.get(title="김해시 계획")
    response = client.get(URL, {"plan": plan.pk})
    assert names(response) == ["어린이 안심 통학", "주차 공유"]
    assert any("김해시 계획" in chip.label for chip in response.context["chips"])


def test_empty_result_explains_what_to_try(client, cities):
    response = client.get(URL, {"q": "존재하지않는말"})
    assert "조건에 맞는 서비스가 없습니다." in response.content.decode()


@pytest.mark.parametrize("per_page", ["20", "100"])
def test_query_count_is_constant(client, make_service, django_assert_num_queries, per_page):
    tags = list(Tag.objects.exclude(slug="cctv")[:5])
    cctv = Tag.objects.get(slug="cctv")
    for i in range(120):
        make_service(f"스마트 서비스 {i}").tags.set([cctv, *tags[: i % 5]])
    params = {
        "q": "스마트",
        "category": "safety-disaster",
        "sido": "41",
        "tag": "cctv",
        "per_page": per_page,
    }
    with django_assert_num_queries(10):
        response = client.get(URL, params)
    assert len(response.context["page"].object_list) == int(per_page)


def test_a_repeated_view_reuses_its_rendered_results(client, cities, django_assert_num_queries):
    first = client.get(URL, {"category": "transport", "sido": ["48", "41"]})
    assert facet(first, "sido") == {"41": 2, "48": 1, "27": 1}
    # the revision, read twice (facet options, then the view); counts, rows and markup are kept
    with django_assert_num_queries(2):
        again = client.get(URL, {"sido": ["41", "48"], "category": "transport"})
    assert again.context["body"] == first.context["body"]


def test_searches_and_rejected_values_are_never_kept_as_rendered_results(
    client, cities, monkeypatch
):
    kept = []
    keep = revision.cached

    def recording(namespace, state, compute, *args, **kwargs):
        kept.append(namespace)
        return keep(namespace, state, compute, *args, **kwargs)

    monkeypatch.setattr(revision, "cached", recording)
    client.get(URL, {"q": "가로등"})
    client.get(URL, {"category": "no-such-field"})
    assert "browse-body" not in kept
    client.get(URL, {"category": "transport"})
    assert "browse-body" in kept


def test_facet_counts_follow_every_kind_of_change_at_once(client, cities, make_service):
    assert facet(client.get(URL), "sido")["48"] == 2
    make_service("김해 스마트 가로등", plan=cities[3].plan)
    assert facet(client.get(URL), "sido")["48"] == 3

    cities[0].tags.add(Tag.objects.get(slug="cctv"))
    assert facet(client.get(URL), "tag")["cctv"] == 3

    cities[3].plan.kind = "master_plan"
    cities[3].plan.save()
    assert facet(client.get(URL), "kind") == {"master_plan": 6, "solution": 1}

    cities[5].delete()
    assert client.get(URL).context["page"].paginator.count == 6


def test_a_plan_number_too_large_for_the_database_is_a_notice_not_an_error(client):
    response = client.get("/services/", {"plan": "9" * 40})
    assert response.status_code == 200
    export = client.get("/services/export/", {"plan": "9" * 40})
    assert export.status_code == 400
