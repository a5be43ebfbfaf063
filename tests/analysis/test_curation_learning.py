"""Curation teaches the method: what staff decide in the admin reaches services of other
municipalities named alike in the next run; staff can see it, undo it, and read why each
cluster holds together."""

import csv
import io

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analysis import duplication, learning
from analysis.models import (
    ClusterMember,
    DuplicationRun,
    IdeaCluster,
    LearnedEquivalence,
    NotSameIdea,
)
from analysis.runs import find_and_store
from analysis.views import CLUSTER_COLUMNS
from tests.analysis.cluster_forms import inline_data

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:analysis_learnedequivalence_changelist"


def text(name: str) -> str:
    return duplication.normalise_name(name)


def staff(username: str, role: str) -> User:
    user = User.objects.create_user(username, password="pw-1234-long", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def reviewer(db):
    return staff("reviewer", "검토자")


@pytest.fixture
def editor(db):
    return staff("editor", "편집자")


@pytest.fixture
def administrator(db):
    return staff("administrator", "관리자")


def together(a, b) -> bool:
    placed = dict(
        ClusterMember.objects.filter(service__in=[a, b]).values_list("service_id", "cluster_id")
    )
    return len(placed) == 2 and placed[a.pk] == placed[b.pk]


def cluster_of(service) -> IdeaCluster:
    return ClusterMember.objects.get(service=service).cluster


def staff_built_cluster(label, services) -> IdeaCluster:
    """A cluster holding ``services``, taken from wherever the last run put them."""
    ClusterMember.objects.filter(service__in=services).delete()
    cluster = IdeaCluster.objects.create(label=label)
    ClusterMember.objects.bulk_create(
        ClusterMember(cluster=cluster, service=service, origin="staff") for service in services
    )
    return cluster


@pytest.fixture
def parking(add):
    """주차공유 (고양) and 주차면 감지 (김해), and services of two other cities named like them."""
    return {
        "a": add("41280", "주차공유"),
        "b": add("48250", "주차면 감지"),
        "c": add("27140", "스마트 주차공유"),
        "d": add("27290", "주차면감지 시스템"),
    }


@pytest.fixture
def learned_parking(client, reviewer, parking):
    """A reviewer confirmed a cluster of 주차공유 and 주차면 감지; the next run has run."""
    find_and_store()
    cluster = staff_built_cluster("주차공유", [parking["a"], parking["b"]])
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:analysis_ideacluster_changelist"),
        {"action": "confirm", "_selected_action": [cluster.pk]},
    )
    assert response.status_code == 302
    find_and_store()
    return parking


# -- the loop ---------------------------------------------------------------------------------


def test_a_confirmed_cluster_teaches_the_next_run_and_undo_unteaches_it(client, reviewer, parking):
    a, b, c, d = parking["a"], parking["b"], parking["c"], parking["d"]
    assert text(a.name) != text(b.name)  # the method reads them as two ideas

    # Before: the method alone puts each of the other cities' services with its look-alike.
    find_and_store()
    assert together(a, c)
    assert together(b, d)
    assert not together(c, d)

    # Staff hold 주차공유 and 주차면 감지 to be one idea, and confirm it.
    cluster = staff_built_cluster("주차공유", [a, b])
    client.force_login(reviewer)
    client.post(
        reverse("admin:analysis_ideacluster_changelist"),
        {"action": "confirm", "_selected_action": [cluster.pk]},
    )
    entry = LearnedEquivalence.objects.get()
    assert entry.kind == "same"
    assert {entry.first, entry.second} == {text("주차공유"), text("주차면 감지")}
    assert entry.first < entry.second
    assert {entry.first_example, entry.second_example} == {"주차공유", "주차면 감지"}
    assert (entry.source, entry.decided_by, entry.is_active) == ("confirm", reviewer, True)

    # After: the next run groups the other two cities' services too.
    find_and_store()
    assert together(c, d)
    grouped = cluster_of(c)
    assert not grouped.is_confirmed
    assert sorted(text(n) for n in ("주차공유", "주차면 감지")) in grouped.explanation["learned"]
    run = DuplicationRun.objects.first()
    assert (run.parameters["learned_same"], run.parameters["learned_different"]) == (1, 0)
    assert run.parameters["lexicon_version"] == duplication.load_lexicon().version
    assert IdeaCluster.objects.get(pk=cluster.pk).is_confirmed  # kept as staff left it

    # Undo: the entry is no longer used, and the next run no longer groups them.
    response = client.post(
        reverse(CHANGELIST), {"action": "stop_using", "_selected_action": [entry.pk]}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert not entry.is_active
    find_and_store()
    assert not together(c, d)
    assert DuplicationRun.objects.first().parameters["learned_same"] == 0

    # And use it again.
    client.post(reverse(CHANGELIST), {"action": "use_again", "_selected_action": [entry.pk]})
    find_and_store()
    assert together(c, d)


def test_not_the_same_idea_keeps_other_cities_apart_in_the_next_run(client, reviewer, add):
    a = add("41280", "스마트 가로등")
    b = add("48250", "가로등 원격제어")
    c = add("27140", "스마트 가로등 설치")
    d = add("27290", "가로등원격제어 시스템")
    find_and_store()
    assert together(c, d)  # before: all four are one look-alike cluster
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:analysis_notsameidea_add"), {"first": a.pk, "second": b.pk}
    )
    assert response.status_code == 302
    entry = LearnedEquivalence.objects.get()
    assert (entry.kind, entry.source) == ("different", "not_same")
    assert {entry.first, entry.second} == {text("가로등"), text("가로등원격제어")}
    find_and_store()
    assert not together(c, d)
    assert not together(a, b)
    assert DuplicationRun.objects.first().parameters["learned_different"] == 1


# -- what each decision records ---------------------------------------------------------------


@pytest.fixture
def clustered(copied_ideas):
    find_and_store()
    return copied_ideas


def test_confirming_names_that_normalise_alike_teaches_nothing(client, reviewer, clustered):
    cluster = cluster_of(clustered["crossing"][0])  # 스마트 횡단보도 / 스마트횡단보도 / … 설치
    client.force_login(reviewer)
    client.post(
        reverse("admin:analysis_ideacluster_changelist"),
        {"action": "confirm", "_selected_action": [cluster.pk]},
    )
    assert IdeaCluster.objects.get(pk=cluster.pk).is_confirmed
    assert not LearnedEquivalence.objects.exists()


def test_merging_teaches_that_the_labels_are_one_idea(client, reviewer, clustered):
    a, b = cluster_of(clustered["crossing"][0]), cluster_of(clustered["bus_stop"][0])
    client.force_login(reviewer)
    client.post(
        reverse("admin:analysis_ideacluster_changelist"),
        {"action": "merge", "_selected_action": [a.pk, b.pk]},
    )
    entry = LearnedEquivalence.objects.get()
    assert (entry.kind, entry.source) == ("same", "merge")
    assert {entry.first, entry.second} == {text("횡단보도"), text("버스정류장")}
    assert {entry.first_example, entry.second_example} == {a.label, b.label}


def test_moving_in_then_out_teaches_same_then_different(client, reviewer, clustered):
    crossing = cluster_of(clustered["crossing"][0])
    bus_stop = clustered["bus_stop"][0]
    client.force_login(reviewer)
    url = reverse("admin:analysis_ideacluster_change", args=[crossing.pk])
    members = list(crossing.members.order_by("pk"))
    assert (
        client.post(url, inline_data(crossing, members, extra=bus_stop, confirmed=True)).status_code
        == 302
    )
    same = LearnedEquivalence.objects.get()
    assert (same.kind, same.source, same.is_active) == ("same", "move", True)
    assert {same.first, same.second} == {text("횡단보도"), text("버스정류장")}

    # Taking it out again: the later decision stops the earlier one.
    members = list(crossing.members.order_by("pk"))
    response = client.post(
        url, inline_data(crossing, members, delete={bus_stop.pk}, confirmed=True)
    )
    assert response.status_code == 302
    different = LearnedEquivalence.objects.get(kind="different")
    assert (different.source, different.is_active) == ("remove", True)
    assert {different.first, different.second} == {same.first, same.second}
    same.refresh_from_db()
    assert not same.is_active
    assert NotSameIdea.objects.count() == 3  # as before: one per remaining member


def test_a_decision_made_again_is_stored_once_and_an_undone_one_is_used_again(
    client, reviewer, administrator, parking
):
    cluster = staff_built_cluster("주차공유", [parking["a"], parking["b"]])
    client.force_login(reviewer)
    confirm = {"action": "confirm", "_selected_action": [cluster.pk]}
    changelist = reverse("admin:analysis_ideacluster_changelist")
    client.post(changelist, confirm)
    client.post(changelist, confirm)
    entry = LearnedEquivalence.objects.get()
    learning.set_active(LearnedEquivalence.objects.all(), False)
    client.force_login(administrator)
    client.post(changelist, confirm)
    assert LearnedEquivalence.objects.count() == 1
    entry.refresh_from_db()
    assert entry.is_active
    assert entry.decided_by == administrator


def test_a_cluster_staff_create_is_learned_when_saved(client, admin_user, parking):
    client.force_login(admin_user)
    data = {
        "label": "주차공유",
        "is_confirmed": "on",
        "members-TOTAL_FORMS": "2",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-service": parking["a"].pk,
        "members-1-service": parking["b"].pk,
    }
    response = client.post(reverse("admin:analysis_ideacluster_add"), data)
    assert response.status_code == 302
    entry = LearnedEquivalence.objects.get()
    assert (entry.kind, entry.source, entry.decided_by) == ("same", "confirm", admin_user)


def test_pairs_are_stored_in_the_databases_own_order(reviewer):
    # '*' sorts before letters in Python; a collation may ignore it: the database decides.
    stored = learning.record(
        "same",
        [(learning.Name("스마트 폴", "*폴"), learning.Name("가로등", "가로등"))],
        reviewer,
        "confirm",
    )
    assert stored == 1
    entry = LearnedEquivalence.objects.get()
    assert {entry.first, entry.second} == {"*폴", "가로등"}
    assert {entry.first_example, entry.second_example} == {"스마트 폴", "가로등"}
    assert LearnedEquivalence.objects.filter(first__lt=entry.second).exists()


# -- why each cluster holds together --------------------------------------------------------


def test_the_admin_cluster_page_says_why(client, learned_parking):
    cluster = cluster_of(learned_parking["c"])
    client.force_login(User.objects.get(username="reviewer"))
    page = client.get(reverse("admin:analysis_ideacluster_change", args=[cluster.pk]))
    body = page.content.decode()
    assert "묶은 까닭" in body
    assert "배운 같음" in body
    assert f"{text('주차공유')} = {text('주차면 감지')}" in body or (
        f"{text('주차면 감지')} = {text('주차공유')}" in body
    )
    assert "평균 유사도" in body


def test_the_service_page_says_why_in_one_line(client, learned_parking):
    response = client.get(learned_parking["c"].get_absolute_url())
    body = response.content.decode()
    assert "다른 곳의 같은 아이디어" in body
    assert "주차면감지 시스템" in body
    line = next(row for row in body.splitlines() if "묶은 까닭" in row)
    assert "배운 같음" in line
    assert "유사도 1.00" in line


def test_a_method_cluster_explains_shared_terms_and_synonyms(client, add):
    add("41280", "스마트 쓰레기통")
    add("48250", "폐기물 수거함")
    add("27140", "쓰레기 수거함")
    find_and_store()
    explanation = IdeaCluster.objects.get().explanation
    assert explanation["synonyms"]
    described = learning.describe(explanation)
    assert described.startswith("공통어") or "동의어" in described
    assert "쓰레기=폐기물" in described
    assert "유사도" in described


def test_cluster_export_appends_why_and_keeps_its_columns(client, learned_parking):
    assert CLUSTER_COLUMNS[:-2] == (
        "cluster_id",
        "cluster_label",
        "confirmed",
        "municipality_count",
        "service_id",
        "municipality_code",
        "municipality_name",
        "service_name",
        "similarity",
    )
    assert CLUSTER_COLUMNS[-2:] == ("why", "idea_url")
    response = client.get(reverse("analysis:export", args=["clusters"]))
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    assert list(rows[0]) == list(CLUSTER_COLUMNS)
    row = next(r for r in rows if r["service_id"] == str(learned_parking["c"].pk))
    assert "배운 같음" in row["why"]
    assert "유사도" in row["why"]
    assert "\n" not in row["why"]


def test_cluster_export_query_count_does_not_grow(client, add, django_assert_num_queries):
    add("41280", "스마트 횡단보도")
    add("48250", "스마트횡단보도")
    find_and_store()
    url = reverse("analysis:export", args=["clusters"])
    with CaptureQueriesContext(connection) as small:
        b"".join(client.get(url).streaming_content)
    for name in ["버스정류장", "가로등", "주차공유", "드론 순찰", "그늘막"]:
        add("27140", f"스마트 {name}")
        add("27290", f"{name} 설치")
        add("47210", name)
    find_and_store()
    assert IdeaCluster.objects.count() >= 5
    with django_assert_num_queries(len(small.captured_queries)):
        b"".join(client.get(url).streaming_content)


# -- seeing and undoing what was learned ------------------------------------------------------


def test_the_method_page_lists_what_was_learned_and_the_lexicon(
    client, reviewer, editor, learned_parking
):
    url = reverse("analysis:method")
    client.logout()
    body = client.get(url).content.decode()
    assert "담당자 결정에서 배운 것" in body
    assert "같은 아이디어" in body
    assert text("주차면 감지") in body
    assert "주차면 감지" in body  # the example
    assert "묶음 확정" in body  # where it was learned
    assert "reviewer" not in body  # sign-in names are for staff
    lexicon = duplication.load_lexicon()
    assert lexicon.version in body
    assert reverse("analysis:lexicon") in body
    assert "learned_same" in body  # the last run's record
    undo = reverse(CHANGELIST)
    assert undo not in body

    client.force_login(editor)
    assert undo not in client.get(url).content.decode()
    client.force_login(reviewer)
    body = client.get(url).content.decode()
    assert undo in body
    assert "reviewer" in body


def test_the_lexicon_file_is_served(client):
    response = client.get(reverse("analysis:lexicon"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert b"".join(response.streaming_content).decode("utf-8-sig").startswith("concept,")


def test_the_method_page_runs_a_fixed_number_of_queries(
    client, reviewer, learned_parking, add, django_assert_num_queries
):
    client.force_login(reviewer)
    url = reverse("analysis:method")
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    learning.record(
        "different",
        [
            (learning.Name(f"이름 {i}", f"이름{i}"), learning.Name("다른 이름", "다른이름"))
            for i in range(8)
        ],
        reviewer,
        "not_same",
    )
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url)


def test_editors_cannot_see_or_undo_learned_entries(client, editor, learned_parking):
    entry = LearnedEquivalence.objects.get()
    client.force_login(editor)
    assert client.get(reverse(CHANGELIST)).status_code == 403
    response = client.post(
        reverse(CHANGELIST), {"action": "stop_using", "_selected_action": [entry.pk]}
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.is_active


def test_reviewers_undo_but_only_administrators_delete(client, reviewer, administrator):
    learning.record(
        "same",
        [(learning.Name("주차공유", "주차공유"), learning.Name("주차정보", "주차안내"))],
        reviewer,
        "confirm",
    )
    entry = LearnedEquivalence.objects.get()
    client.force_login(reviewer)
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    actions = dict(page.context["action_form"].fields["action"].choices)
    assert {"stop_using", "use_again"} <= set(actions)
    assert "delete_selected" not in actions
    assert client.get(reverse("admin:analysis_learnedequivalence_add")).status_code == 403
    delete = reverse("admin:analysis_learnedequivalence_delete", args=[entry.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    # The change form: only 사용 can be changed.
    change = reverse("admin:analysis_learnedequivalence_change", args=[entry.pk])
    assert client.post(change, {"first": "바꿈"}).status_code == 302
    entry.refresh_from_db()
    assert (entry.first, entry.is_active) == ("주차공유", False)

    client.force_login(administrator)
    assert client.post(delete, {"post": "yes"}).status_code == 302
    assert not LearnedEquivalence.objects.exists()


@pytest.mark.parametrize("path", ["", "?kind__exact=same", "?is_active__exact=0", "?source=merge"])
def test_the_learned_list_filters_and_searches(client, reviewer, learned_parking, path):
    client.force_login(reviewer)
    assert client.get(reverse(CHANGELIST) + path).status_code == 200
    found = client.get(reverse(CHANGELIST), {"q": "주차면"}).context["cl"].result_list
    assert len(found) == 1
