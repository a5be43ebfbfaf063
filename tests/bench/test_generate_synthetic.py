"""``generate_synthetic``: a realistic, marked, never-mixed synthetic catalog."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from bench.synthetic.generator import PAPER_COUNTS, generate_catalog
from bench.synthetic.management.commands import generate_synthetic as command
from catalog import search
from catalog.models import Municipality, Plan, Service

pytestmark = pytest.mark.django_db

N = 300


def generate(*args):
    out = StringIO()
    call_command("generate_synthetic", "--services", str(N), "--seed", "3", *args, stdout=out)
    return out.getvalue()


def test_generates_marked_published_services_over_many_municipalities():
    generate()
    assert Service.objects.count() == N
    assert Service.objects.filter(is_published=True).count() == N
    assert not Plan.objects.filter(is_synthetic=False).exists()
    assert Plan.objects.filter(is_synthetic=True).count() >= Municipality.objects.count()
    assert Plan.objects.values("kind").distinct().count() >= 3
    assert Service.objects.values("plan__municipality").distinct().count() > 150
    assert Service.objects.filter(tags__isnull=False).distinct().count() > N / 2
    assert Service.objects.values("status").distinct().count() == 4
    service = Service.objects.first()
    assert service.search_name
    assert service.search_bigrams


def test_category_mix_follows_the_paper():
    catalog = generate_catalog(20_000, {"41280": "경기도 고양시", "11110": "서울특별시 종로구"})
    total = len(catalog.services)
    shares = dict.fromkeys(PAPER_COUNTS, 0)
    for service in catalog.services:
        shares[service.category_code] += 1
    for code, count in PAPER_COUNTS.items():
        assert shares[code] / total == pytest.approx(count / 295, abs=0.01), code
    assert shares["logistics"] / total < 0.01
    names = {(s.plan_index, s.name) for s in catalog.services}
    assert len(names) == total  # unique within each plan


def test_category_mix_in_the_database_roughly_right():
    generate()
    counts = dict(Service.objects.values_list("category__code").annotate(n=Count("pk")).order_by())
    assert counts["safety-disaster"] > counts.get("logistics", 0)
    assert counts["safety-disaster"] > counts["transport"] * 0.8
    assert counts["safety-disaster"] / N == pytest.approx(0.2, abs=0.07)


def test_search_finds_generated_services():
    call_command("generate_synthetic", "--services", "2000", "--seed", "5", stdout=StringIO())
    for word in ("가로등", "주차", "CCTV", "스마트 주차장"):
        found = search.apply_search(Service.objects.published(), search.parse_query(word))
        assert found.exists(), word
        for service in found[:20]:
            assert search.normalize(word).replace("스마트", "")[:2] in service.search_text


def test_browse_page_lists_generated_services(client):
    generate()
    response = client.get("/services/", {"q": "안내", "category": "transport"})
    assert response.status_code == 200


def test_browse_counts_include_services_generated_after_a_visit(client):
    """bulk_create sends no signals; the command moves the catalog revision itself."""
    assert client.get("/services/").context["page"].paginator.count == 0
    generate()
    assert client.get("/services/").context["page"].paginator.count == N
    call_command("generate_synthetic", "--replace", "--services", "10", stdout=StringIO())
    assert client.get("/services/").context["page"].paginator.count == 10


def test_dry_run_writes_nothing():
    output = generate("--dry-run")
    assert "Dry run" in output
    assert not Plan.objects.exists()
    assert not Service.objects.exists()


def test_refuses_real_data_unless_forced(plan, make_service):
    make_service()
    with pytest.raises(CommandError, match="real data"):
        generate()
    assert Service.objects.count() == 1
    generate("--force")
    assert Service.objects.count() == N + 1
    assert Plan.objects.filter(is_synthetic=False).count() == 1


def test_running_again_refuses_or_replaces():
    generate()
    with pytest.raises(CommandError, match="--replace"):
        generate()
    assert Service.objects.count() == N
    output = generate("--replace")
    assert "Deleted" in output
    assert Service.objects.count() == N


def test_replace_keeps_real_data(plan, make_service):
    make_service()
    generate("--force")
    generate("--force", "--replace")
    assert Service.objects.filter(plan__is_synthetic=False).count() == 1
    assert Service.objects.count() == N + 1


def test_refuses_without_reference_data(monkeypatch):
    monkeypatch.setattr(command, "EXPECTED_MUNICIPALITIES", Municipality.objects.count() + 1)
    with pytest.raises(CommandError, match="load_reference_data"):
        generate()
