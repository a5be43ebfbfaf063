"""Public pages of the catalog. Only published services appear on any of them (staff may
preview a draft at its future address)."""

from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.models import Count, F, Prefetch, Q, prefetch_related_objects
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from analysis.comparison import IdeaComparison, compare_ideas
from catalog import national, panels, structured_data
from catalog.models import Category, Municipality, Plan, Service
from catalog.permissions import may_preview

RECENT_SERVICE_COUNT = 8
COMPARE_MIN = 2
COMPARE_MAX = 6
# How many unknown codes, and how much of each, a notice repeats back.
UNKNOWN_CODES_SHOWN = 10
UNKNOWN_CODE_LENGTH_SHOWN = 12


def home(request):
    totals = national.totals()
    context = {
        "service_total": totals.services,
        "municipality_total": totals.municipalities,
        "plan_total": totals.plans,
        "categories": national.category_shares(),
        "recent_services": Service.objects.published()
        .for_list()
        .order_by("-created_at", "-id")[:RECENT_SERVICE_COUNT],
    }
    return render(request, "catalog/home.html", context)


def service_detail(request, pk: int):
    service = get_object_or_404(Service.objects.for_list(), pk=pk)
    if not service.is_published:
        return draft_preview(request, service)
    context = {
        "service": service,
        "structured_data": structured_data.service_data(service, request),
        "panels": panels.render("service", service, request),
    }
    return render(request, "catalog/service_detail.html", context)


def draft_preview(request, service: Service):
    """A draft as the public will see it, for the staff who may work on it (everyone else gets
    the 404 of a service that does not exist). It is marked as a preview, kept by no cache,
    shown to no search engine, and adds no analysis panel: nothing is computed or counted."""
    if not may_preview(request.user, service):
        raise Http404
    response = render(request, "catalog/service_preview.html", {"service": service, "panels": []})
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def municipality_detail(request, code: str):
    municipality = get_object_or_404(Municipality.objects.select_related("parent"), code=code)
    # Listed by name under each field: no tags or municipality needed per row.
    published = (
        Service.objects.published()
        .select_related("plan", "category")
        .only("id", "name", "category", "plan__title")
        .order_by("category__order", "name")
    )
    plans = (
        Plan.objects.filter(municipality=municipality)
        .annotate(service_count=Count("services", filter=Q(services__is_published=True)))
        .order_by("-start_year", "title")
    )
    services = published.filter(plan__municipality=municipality)
    # Shares cover the municipality's area: a 시·도 with everything below it, as its link
    # into the browse page does; the national shares beside them are cached.
    area = Service.objects.published().filter(
        plan__municipality__code__startswith=municipality.code[:2]
        if municipality.is_sido
        else municipality.code
    )
    categories = national.beside_national(Category.objects.with_shares(area))
    children = (
        municipality.children.with_service_counts().order_by("code")
        if municipality.is_sido
        else Municipality.objects.none()
    )
    context = {
        "municipality": municipality,
        "plans": plans,
        "services": services,
        "categories": categories,
        "area_has_services": area.exists(),
        "children": children,
        "service_list_url": service_list_url(municipality),
        "shares_csv_url": f"{reverse('analysis:export', args=['shares'])}?"
        + area_query(municipality),
        "panels": panels.render("municipality", municipality, request),
    }
    return render(request, "catalog/municipality_detail.html", context)


def area_query(municipality: Municipality) -> str:
    """The browse filters of this municipality's area (a 시·도: its whole region)."""
    if municipality.is_sido:
        return urlencode({"sido": municipality.code[:2]})
    return urlencode({"municipality": municipality.code})


def service_list_url(municipality: Municipality) -> str:
    """The browse page filtered to this municipality's area."""
    return f"{reverse('catalog:service-list')}?{area_query(municipality)}"


def plan_detail(request, pk: int):
    plan = get_object_or_404(Plan.objects.for_page(), pk=pk)
    context = {
        "plan": plan,
        "services": Service.objects.published().filter(plan=plan).by_field_with_spread(),
        "structured_data": structured_data.plan_data(plan, request),
    }
    return render(request, "catalog/plan_detail.html", context)


CATEGORY_RECENT_COUNT = 12


def category_detail(request, code: str):
    browse_url = reverse("catalog:service-list")
    category = get_object_or_404(
        Category.objects.prefetch_related(Prefetch("subcategories", to_attr="subgroups")),
        code=code,
    )
    services = Service.objects.published().filter(category=category)
    # A field can hold thousands of services: counted per municipality, each linking to
    # the browse page, with the latest few listed.
    by_municipality = (
        Municipality.objects.filter(plans__services__in=services)
        .annotate(service_count=Count("plans__services", filter=Q(plans__services__in=services)))
        .select_related("parent")
        .order_by("-service_count", "code")
    )
    context = {
        "category": category,
        "service_total": services.count(),
        "by_municipality": [
            (
                m,
                m.service_count,
                f"{browse_url}?{urlencode({'category': code, 'municipality': m.code})}",
            )
            for m in by_municipality
        ],
        "recent": services.for_list().order_by("-created_at", "-id")[:CATEGORY_RECENT_COUNT],
        "browse_url": f"{browse_url}?{urlencode({'category': code})}",
    }
    return render(request, "catalog/category_detail.html", context)


@dataclass
class SidoGroup:
    """A 시·도 and its 시·군·구, for pages that list municipalities region by region."""

    sido: Municipality
    members: list[Municipality] = field(default_factory=list)

    @property
    def rows(self) -> list[Municipality]:
        """The 시·도 itself (its own plans, as 세종's) and then its 시·군·구."""
        return [self.sido, *self.members]


def group_by_sido(municipalities) -> list[SidoGroup]:
    """Groups rows of ``Municipality.objects.for_directory()`` (already counted) by 시·도."""
    groups: dict[int, SidoGroup] = {}
    for municipality in municipalities:
        if municipality.is_sido:
            groups.setdefault(municipality.pk, SidoGroup(municipality)).sido = municipality
        else:
            group = groups.setdefault(municipality.parent_id, SidoGroup(municipality.parent))
            group.members.append(municipality)
    return list(groups.values())


def municipality_list(request):
    groups = group_by_sido(Municipality.objects.for_directory())
    return render(request, "catalog/municipality_list.html", {"groups": groups})


def category_list(request):
    categories = national.category_shares()
    prefetch_related_objects(categories, Prefetch("subcategories", to_attr="subgroups"))
    return render(request, "catalog/category_list.html", {"categories": categories})


@dataclass
class CompareCell:
    count: int
    share: float
    services: list[Service]


@dataclass
class CompareRow:
    category: Category
    cells: list[CompareCell]


def read_compared_codes(values: list[str], known: dict[str, Municipality]):
    """The municipalities named by ``?m=`` values, and notices about the values left out.

    Blank values and repeats are dropped silently; unknown codes are named in a notice; past
    ``COMPARE_MAX`` only the first ones are kept.
    """
    chosen: list[str] = []
    unknown: list[str] = []
    for value in values:
        code = value.strip()
        if not code or code in chosen or code in unknown:
            continue
        (chosen if code in known else unknown).append(code)
    notices = []
    if unknown:
        shown = [code[:UNKNOWN_CODE_LENGTH_SHOWN] for code in unknown[:UNKNOWN_CODES_SHOWN]]
        notices.append(
            _("알 수 없는 자치단체 코드는 뺐습니다: %(codes)s") % {"codes": ", ".join(shown)}
        )
    if len(chosen) > COMPARE_MAX:
        notices.append(
            _("한 번에 %(max)s곳까지 비교합니다. 앞의 %(max)s곳만 보여 줍니다.")
            % {"max": COMPARE_MAX}
        )
        chosen = chosen[:COMPARE_MAX]
    if values and len(chosen) < COMPARE_MIN:
        notices.append(_("비교하려면 자치단체를 두 곳 이상 고르세요."))
    return [known[code] for code in chosen], notices


def compare(request):
    directory = list(Municipality.objects.for_directory())
    selected, notices = read_compared_codes(
        request.GET.getlist("m"), {municipality.code: municipality for municipality in directory}
    )
    rows: list[CompareRow] = []
    ideas: IdeaComparison | None = None
    if len(selected) >= COMPARE_MIN:
        rows = compare_rows(selected)
        ideas = compare_ideas(selected)
    slots = [
        {"number": number, "code": selected[number - 1].code if number <= len(selected) else ""}
        for number in range(1, COMPARE_MAX + 1)
    ]
    context = {
        "groups": group_by_sido(directory),
        "slots": slots,
        "selected": selected,
        "notices": notices,
        "rows": rows,
        "ideas": ideas,
        "shared_cluster_ids": ideas.shared_cluster_ids if ideas else set(),
        "compare_min": COMPARE_MIN,
        "compare_max": COMPARE_MAX,
    }
    return render(request, "catalog/compare.html", context)


def compare_rows(selected: list[Municipality]) -> list[CompareRow]:
    """One row per field: each municipality's count, share and services (each with its
    ``idea_cluster_id``, or None), in two queries."""
    published = Service.objects.published()
    categories = Category.objects.all()
    for index, municipality in enumerate(selected):
        categories = categories.with_shares_as(
            f"m{index}", published.filter(plan__municipality=municipality)
        )
    services = (
        published.filter(plan__municipality__in=selected)
        .select_related("plan")
        .only("id", "name", "category_id", "plan__id", "plan__municipality_id")
        .annotate(idea_cluster_id=F("idea__cluster_id"))
        .order_by("name", "id")
    )
    listed: dict[tuple[int, int], list[Service]] = {}
    for service in services:
        listed.setdefault((service.category_id, service.plan.municipality_id), []).append(service)
    return [
        CompareRow(
            category,
            [
                CompareCell(
                    getattr(category, f"m{index}_count"),
                    getattr(category, f"m{index}_share"),
                    listed.get((category.pk, municipality.pk), []),
                )
                for index, municipality in enumerate(selected)
            ],
        )
        for category in categories
    ]
