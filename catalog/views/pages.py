"""Public pages of the catalog. Only published services appear on any of them."""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, render

from catalog.models import Category, Municipality, Plan, Service

RECENT_SERVICE_COUNT = 8


def home(request):
    services = Service.objects.published()
    total = services.count()
    categories = Category.objects.with_shares(services)
    context = {
        "service_total": total,
        "municipality_total": services.values("plan__municipality").distinct().count(),
        "plan_total": Plan.objects.filter(services__is_published=True).distinct().count(),
        "categories": categories,
        "recent_services": services.for_list().order_by("-created_at", "-id")[
            :RECENT_SERVICE_COUNT
        ],
    }
    return render(request, "catalog/home.html", context)


def service_detail(request, pk: int):
    service = get_object_or_404(Service.objects.published().for_list(), pk=pk)
    return render(request, "catalog/service_detail.html", {"service": service})


def municipality_detail(request, code: str):
    municipality = get_object_or_404(Municipality.objects.select_related("parent"), code=code)
    published = Service.objects.published().for_list().order_by("category__order", "name")
    plans = (
        Plan.objects.filter(municipality=municipality)
        .annotate(service_count=Count("services", filter=Q(services__is_published=True)))
        .order_by("-start_year", "title")
    )
    services = published.filter(plan__municipality=municipality)
    categories = Category.objects.with_shares(
        Service.objects.published().filter(plan__municipality=municipality)
    )
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
        "children": children,
    }
    return render(request, "catalog/municipality_detail.html", context)


def category_detail(request, code: str):
    category = get_object_or_404(
        Category.objects.prefetch_related(Prefetch("subcategories", to_attr="subgroups")),
        code=code,
    )
    services = (
        Service.objects.published()
        .for_list()
        .filter(category=category)
        .order_by("plan__municipality__code", "name")
    )
    return render(
        request, "catalog/category_detail.html", {"category": category, "services": services}
    )
