"""Staff data entry. Lists carry counts computed in SQL and load related rows up front."""

from django.contrib import admin
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from catalog.models import Category, Municipality, Plan, Service, SubCategory, Tag

PUBLISHED = Q(services__is_published=True)


class SidoListFilter(admin.SimpleListFilter):
    """Narrow a list to one 시·도, counting the 시·도 itself and everything below it."""

    title = _("시·도")
    parameter_name = "sido"
    municipality_prefix = ""  # lookup path from the listed model to its Municipality

    def lookups(self, request, model_admin):
        return list(Municipality.objects.sidos().values_list("code", "name"))

    def queryset(self, request, queryset):
        code = self.value()
        if not code:
            return queryset
        prefix = self.municipality_prefix
        return queryset.filter(Q(**{f"{prefix}code": code}) | Q(**{f"{prefix}parent__code": code}))


class PlanSidoFilter(SidoListFilter):
    municipality_prefix = "municipality__"


class ServiceSidoFilter(SidoListFilter):
    municipality_prefix = "plan__municipality__"


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "is_active", "plans", "services")
    list_display_links = ("code", "name")
    ordering = ("code",)
    list_filter = ("level", SidoListFilter, "is_active")
    search_fields = ("code", "name", "former_code", "parent__name")
    list_select_related = ("parent",)
    list_per_page = 50
    fields = ("code", "name", "level", "parent", "former_code", "is_active")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("parent")
            .annotate(
                plan_count=Count("plans", distinct=True),
                service_count=Count("plans__services", distinct=True),
            )
        )

    @admin.display(description=_("계획 수"), ordering="plan_count")
    def plans(self, obj):
        return obj.plan_count

    @admin.display(description=_("서비스 수"), ordering="service_count")
    def services(self, obj):
        return obj.service_count


class SubCategoryInline(admin.TabularInline):
    model = SubCategory
    extra = 0
    fields = ("order", "code", "name_ko", "name_en", "description_ko", "description_en")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("order", "name_ko", "name_en", "code", "services", "published_services")
    list_display_links = ("name_ko",)
    ordering = ("order",)
    search_fields = ("code", "name_ko", "name_en")
    inlines = [SubCategoryInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                service_count=Count("services"),
                published_count=Count("services", filter=PUBLISHED),
            )
        )

    @admin.display(description=_("서비스 수"), ordering="service_count")
    def services(self, obj):
        return obj.service_count

    @admin.display(description=_("공개 서비스 수"), ordering="published_count")
    def published_services(self, obj):
        return obj.published_count


@admin.register(SubCategory)
class SubCategoryAdmin(admin.ModelAdmin):
    list_display = ("name_ko", "name_en", "category", "code", "order", "services")
    list_filter = ("category",)
    ordering = ("category__order", "order")
    search_fields = ("code", "name_ko", "name_en")
    list_select_related = ("category",)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(service_count=Count("services"))

    @admin.display(description=_("서비스 수"), ordering="service_count")
    def services(self, obj):
        return obj.service_count


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "slug", "services")
    list_filter = ("kind",)
    ordering = ("kind", "name")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(service_count=Count("services"))

    @admin.display(description=_("서비스 수"), ordering="service_count")
    def services(self, obj):
        return obj.service_count


class SubCategoryChoicesMixin:
    """Label each sub-group with its field without a query per option."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "subcategory":
            kwargs["queryset"] = SubCategory.objects.select_related("category")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ServiceInline(SubCategoryChoicesMixin, admin.TabularInline):
    model = Service
    extra = 3
    fields = (
        "name",
        "category",
        "subcategory",
        "status",
        "source_page",
        "source_url",
        "is_published",
    )
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("category", "subcategory")


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = (
        "title",
        "municipality",
        "kind",
        "period",
        "approved_on",
        "services",
        "published_services",
    )
    list_filter = ("kind", PlanSidoFilter)
    ordering = ("municipality__code", "-start_year", "title")
    search_fields = ("title", "municipality__name", "municipality__code", "note")
    autocomplete_fields = ("municipality",)
    list_select_related = ("municipality__parent",)
    list_per_page = 50
    inlines = [ServiceInline]
    fieldsets = (
        (None, {"fields": ("municipality", "title", "kind")}),
        (_("기간"), {"fields": (("start_year", "end_year"), "approved_on")}),
        (_("출처"), {"fields": ("document_url", "source_url", "note")}),
        (_("기록"), {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )
    readonly_fields = ("created_at", "updated_at")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("municipality__parent")
            .annotate(
                service_count=Count("services"),
                published_count=Count("services", filter=PUBLISHED),
            )
        )

    @admin.display(description=_("기간"), ordering="start_year")
    def period(self, obj):
        return obj.period or "—"

    @admin.display(description=_("서비스 수"), ordering="service_count")
    def services(self, obj):
        return obj.service_count

    @admin.display(description=_("공개 서비스 수"), ordering="published_count")
    def published_services(self, obj):
        return obj.published_count


@admin.register(Service)
class ServiceAdmin(SubCategoryChoicesMixin, admin.ModelAdmin):
    list_display = (
        "name",
        "municipality",
        "plan_title",
        "category",
        "status",
        "is_published",
        "updated_at",
    )
    list_filter = (
        "category",
        "status",
        "is_published",
        ServiceSidoFilter,
        "plan__kind",
        "category_basis",
        "tags",
    )
    search_fields = (
        "name",
        "description",
        "plan__title",
        "plan__municipality__name",
        "plan__municipality__code",
    )
    autocomplete_fields = ("plan", "tags")
    list_select_related = ("plan__municipality__parent", "category")
    list_per_page = 50
    fieldsets = (
        (None, {"fields": ("plan", "name", "description")}),
        (_("분류"), {"fields": ("category", "category_basis", "subcategory", "tags")}),
        (_("상태"), {"fields": ("status", "is_published")}),
        (_("출처"), {"fields": ("source_url", "source_page", "source_note")}),
        (_("기록"), {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description=_("자치단체"), ordering="plan__municipality__code")
    def municipality(self, obj):
        return obj.plan.municipality

    @admin.display(description=_("계획"), ordering="plan__title")
    def plan_title(self, obj):
        return obj.plan.title
