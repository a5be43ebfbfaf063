"""Staff data entry. Lists carry counts computed in SQL and load related rows up front."""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import RelatedFieldWidgetWrapper
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from catalog.admin_forms import ErrorsOnceMixin, TagCheckboxes, error_summary
from catalog.admin_import import PlanImportMixin
from catalog.admin_search import search_plans, search_services
from catalog.categorize import CategorySuggester
from catalog.models import (
    Category,
    EditorAssignment,
    Municipality,
    Plan,
    Service,
    SubCategory,
    Tag,
)
from catalog.permissions import can_publish, limit_to_editable
from catalog.review_queue import assignments_of, created_by

PUBLISHED = Q(services__is_published=True)
PROVENANCE_FIELDS = ("source_url", "source_page", "source_note")
# The query parameter a plan's service table adds to a service's link: saving returns there.
FROM_PLAN = "from_plan"


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


class MunicipalityListFilter(admin.RelatedOnlyFieldListFilter):
    """The municipalities present in the list, labelled with their 시·도 in one query."""

    def field_choices(self, field, request, model_admin):
        present = (
            model_admin.get_queryset(request)
            .order_by()
            .values_list(f"{self.field_path}__pk", flat=True)
        )
        found = Municipality.objects.filter(pk__in=present).select_related("parent")
        return [(m.pk, str(m)) for m in found.order_by("code")]


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

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if (
            request.GET.get("model_name") == "plan"
            and request.GET.get("field_name") == "municipality"
        ):
            # Autocomplete of a plan's municipality offers only what the user may work on.
            queryset = limit_to_editable(queryset, request.user, "pk")
        return queryset, may_have_duplicates

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
    # Not "services": that is the name of the tag's own relation, which the list would show
    # as "catalog.Service.None".
    list_display = ("name", "kind", "slug", "tagged_services")
    list_filter = ("kind",)
    ordering = ("kind", "name")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(service_count=Count("services"))

    @admin.display(description=_("서비스 수"), ordering="service_count")
    def tagged_services(self, obj):
        return obj.service_count

    def get_deleted_objects(self, objs, request):
        """A tag that services carry is not deleted, which would untag them silently: the
        delete page lists those services as it lists protected rows, and deletes nothing."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        label = capfirst(Service._meta.verbose_name)
        in_use = Service.objects.filter(tags__in=objs).distinct()
        return deleted, counts, perms_needed, [*protected, *(f"{label}: {s}" for s in in_use)]


def _once_per_request(request, name: str, compute):
    """``compute()``, kept on the request: a plan's page builds one form per service."""
    cache = request.__dict__.setdefault("_admin_choices", {})
    if name not in cache:
        cache[name] = compute()
    return cache[name]


class SubCategoryChoicesMixin:
    """Field and sub-group selects read their options once per request, not once per form
    (a plan's page shows one form per service) and label sub-groups without extra queries."""

    cached_choice_fields = ("category", "subcategory")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "subcategory":
            kwargs["queryset"] = SubCategory.objects.select_related("category")
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name in self.cached_choice_fields and field is not None:
            field.choices = _once_per_request(request, db_field.name, lambda: list(field.choices))
        return field


def grouped_tag_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """Every tag by kind (기술, 대상), by name within a kind."""
    groups: dict[str, list[tuple[int, str]]] = {kind: [] for kind in Tag.Kind.values}
    for pk, name, kind in Tag.objects.order_by("name").values_list("pk", "name", "kind"):
        groups[kind].append((pk, name))
    return [(str(label), groups[kind]) for kind, label in Tag.Kind.choices if groups[kind]]


class TagPickerMixin:
    """Tags as checkboxes by kind, folded under a summary naming those chosen (no script)."""

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name != "tags":
            return super().formfield_for_manytomany(db_field, request, **kwargs)
        kwargs["widget"] = TagCheckboxes
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        field.choices = _once_per_request(request, "tags", grouped_tag_choices)
        return field


class AutocompleteNamesMedia:
    """The admin's autocomplete boxes named after their fields for assistive technology
    (``static/js/admin-autocomplete-names.js``)."""

    class Media:
        js = ("js/admin-autocomplete-names.js",)


class VersionedForm(ErrorsOnceMixin, forms.ModelForm):
    """Refuses to save a row that someone else saved after this form was opened.

    The form carries the version it was built from; ``clean`` compares it with the row as
    it is now (locked until the admin's transaction ends, so two saves cannot interleave).
    """

    loaded_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["loaded_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        current = (
            type(self.instance)
            ._base_manager.select_for_update()
            .filter(pk=self.instance.pk)
            .values_list("version", flat=True)
            .first()
        )
        if current is not None and cleaned.get("loaded_version") != current:
            raise forms.ValidationError(
                _(
                    "다른 사람이 이 화면을 연 뒤에 먼저 저장했습니다. 덮어쓰지 않도록 저장하지 "
                    "않았습니다. 새로 고침해 바뀐 내용을 확인한 뒤 다시 고쳐 주세요."
                ),
                code="stale",
            )
        return cleaned


class PlanForm(VersionedForm):
    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_year"), cleaned.get("end_year")
        if start and end and start > end:
            # Beside the years rather than at the top (the constraint then goes unchecked).
            self.add_error("end_year", _("시작 연도는 종료 연도보다 늦을 수 없습니다."))
        return cleaned


class ServiceForm(VersionedForm):
    def clean(self):
        cleaned = super().clean()
        shown = [name for name in PROVENANCE_FIELDS if name in self.fields]
        if len(shown) < len(PROVENANCE_FIELDS) or any(self.has_error(n) for n in shown):
            return cleaned
        if not any(cleaned.get(name) for name in shown):
            # Beside the source fields; the model's clean() says the same for the whole form,
            # and ErrorsOnceMixin leaves it to the field.
            self.add_error("source_url", _("출처 URL, 문서 쪽, 출처 메모 중 하나는 적어야 합니다."))
        return cleaned


class EditorScopedMixin:
    """Limits lists, forms, autocompletes and object pages to the editor's municipalities, and
    says so: lists name the editor's local governments, and a row outside them is refused in
    words rather than with Django's "does not exist, perhaps it was deleted"."""

    municipality_path = ""  # from the admin's model to its Municipality
    # "이 서비스는 담당 자치단체(%(places)s) 밖에 있어 열 수 없습니다."
    refused_message = ""

    def get_queryset(self, request):
        return limit_to_editable(
            super().get_queryset(request), request.user, self.municipality_path
        )

    def changelist_view(self, request, extra_context=None):
        context = {"assignments": assignments_of(request.user), **(extra_context or {})}
        return super().changelist_view(request, context)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        key = unquote(object_id)
        exists = key.isdigit() and self.model._default_manager.filter(pk=key).exists()
        if exists:
            places = ", ".join(str(place) for place in assignments_of(request.user) or [])
            message = self.refused_message % {"places": places or _("없음")}
        else:
            message = _("%(name)s 번호 %(key)s: 찾을 수 없습니다. 목록에서 다시 찾아 주세요.") % {
                "name": capfirst(opts.verbose_name),
                "key": key,
            }
        self.message_user(request, message, messages.WARNING)
        if self.has_view_or_change_permission(request):
            return HttpResponseRedirect(
                reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
            )
        return HttpResponseRedirect(reverse("admin:index"))

    def history_view(self, request, object_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        self._require_in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def _require_in_scope(self, request, object_id):
        # The history pages look objects up themselves, past get_queryset().
        if not self.get_queryset(request).filter(pk=object_id).exists():
            raise Http404

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "plan":
            field.queryset = limit_to_editable(field.queryset, request.user, "municipality")
        elif db_field.name == "municipality":
            field.queryset = limit_to_editable(field.queryset, request.user, "pk")
        return field


class CategoryHintMedia:
    """The field hint beside 분야: as staff type a service's name, the field the catalog's
    suggester finds likeliest, and a button to take it (``static/js/category-hint.js``)."""

    class Media:
        js = ("js/category-hint.js",)
        css = {"all": ("css/category-hint.css",)}


class SuggestedCategoryFilter(admin.SimpleListFilter):
    """Services whose field an import suggested, waiting for a person to confirm it."""

    title = _("분야 검토")
    parameter_name = "category_review"

    def lookups(self, request, model_admin):
        return [("waiting", _("제안된 분야 확인 대기"))]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(category_basis=Service.CategoryBasis.SUGGESTED)
        return queryset


class ErrorSummaryMixin:
    """Change pages open with a summary of every error, each linking to its field or row."""

    def render_change_form(self, request, context, *args, **kwargs):
        context["error_summary"] = error_summary(
            context.get("adminform"), context.get("inline_admin_formsets")
        )
        return super().render_change_form(request, context, *args, **kwargs)


class CreatedByFilter(admin.SimpleListFilter):
    """Services the signed-in user created (the review queue's "내가 만든 초안")."""

    title = _("만든 사람")
    parameter_name = "created_by"

    def lookups(self, request, model_admin):
        return [("me", _("내가 만든 서비스"))]

    def queryset(self, request, queryset):
        if self.value() == "me":
            return queryset.filter(pk__in=created_by(request.user))
        return queryset


class ServiceInline(
    CategoryHintMedia, TagPickerMixin, SubCategoryChoicesMixin, admin.StackedInline
):
    """A plan's services, one line each (name, field and sub-group, status, tags, source), with
    the description and the source note folded below; cards on a phone. No script is needed:
    a new plan offers three empty lines, a saved one one more (the admin's script adds more)."""

    model = Service
    form = ServiceForm
    template = "admin/catalog/plan/service_inline.html"
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "name",
                    "category",
                    "subcategory",
                    "status",
                    "is_published",
                    "tags",
                    "source_page",
                    "source_url",
                    "loaded_version",
                )
            },
        ),
        (
            _("설명·출처 메모"),
            {"fields": ("description", "source_note"), "classes": ("service-more",)},
        ),
    )
    show_change_link = True
    # A plain address box: the admin's own shows the current address above it, two lines more.
    formfield_overrides = {
        models.URLField: {"widget": forms.URLInput(attrs={"class": "vURLField"})}
    }

    class Media:  # the field hint's, and the table's layout
        js = CategoryHintMedia.Media.js
        css = {"all": (*CategoryHintMedia.Media.css["all"], "css/admin-service-table.css")}

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is not None else 3

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("category", "subcategory")
            .prefetch_related(Prefetch("tags", Tag.objects.order_by()))
        )

    def get_fieldsets(self, request, obj=None):
        if can_publish(request.user):
            return self.fieldsets
        return [
            (name, {**options, "fields": _swap(options["fields"], "is_published", "publication")})
            for name, options in self.fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        return () if can_publish(request.user) else ("publication",)

    @admin.display(description=_("공개"))
    def publication(self, obj):
        return _("공개") if obj is not None and obj.is_published else _("초안")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and isinstance(field.widget, RelatedFieldWidgetWrapper):
            field.widget = field.widget.widget  # no add/change icons: the line stays compact
        return field


def _swap(fields: tuple, old: str, new: str) -> tuple:
    return tuple(new if name == old else name for name in fields)


@admin.register(Plan)
class PlanAdmin(
    AutocompleteNamesMedia,
    PlanImportMixin,
    ErrorSummaryMixin,
    EditorScopedMixin,
    SimpleHistoryAdmin,
):
    municipality_path = "municipality"
    refused_message = _("이 계획은 담당 자치단체(%(places)s) 밖에 있어 열 수 없습니다.")
    form = PlanForm
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
    # Shows the search box and allows autocomplete; get_search_results folds the text.
    search_fields = ("title", "municipality__name", "municipality__code", "note")
    autocomplete_fields = ("municipality",)
    list_select_related = ("municipality__parent",)
    list_per_page = 50
    inlines = [ServiceInline]
    fieldsets = (
        (None, {"fields": ("municipality", "title", "kind", "loaded_version")}),
        (_("기간"), {"fields": (("start_year", "end_year"), "approved_on")}),
        (_("출처"), {"fields": ("document_url", "source_url", "note")}),
        (_("서비스"), {"fields": ("status_counts",)}),
        (_("기록"), {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )
    readonly_fields = ("status_counts", "created_at", "updated_at")

    def get_search_results(self, request, queryset, search_term):
        return search_plans(queryset, search_term), False

    def get_changeform_initial_data(self, request):
        """An editor of one local government starts a plan with it chosen."""
        initial = super().get_changeform_initial_data(request)
        assigned = assignments_of(request.user)
        if assigned is not None and len(assigned) == 1:
            initial.setdefault("municipality", assigned[0].pk)
        return initial

    def save_formset(self, request, form, formset, change):
        if formset.model is Service:
            for service_form in formset.forms:
                if service_form.has_changed() and service_form.instance is not None:
                    _settle_suggested_category(service_form.instance, service_form)
        super().save_formset(request, form, formset, change)

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

    @admin.display(description=_("상태별 서비스 수"))
    def status_counts(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        counts = dict(obj.services.order_by().values_list("status").annotate(n=Count("pk")))
        published = obj.services.filter(is_published=True).count()
        parts = [f"{label} {counts.get(value, 0)}" for value, label in Service.Status.choices]
        return " · ".join([*parts, f"{_('공개')} {published}"])


@admin.register(Service)
class ServiceAdmin(
    ErrorSummaryMixin,
    EditorScopedMixin,
    TagPickerMixin,
    SubCategoryChoicesMixin,
    SimpleHistoryAdmin,
):
    municipality_path = "plan__municipality"
    refused_message = _("이 서비스는 담당 자치단체(%(places)s) 밖에 있어 열 수 없습니다.")
    form = ServiceForm
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
        "is_published",
        SuggestedCategoryFilter,
        CreatedByFilter,
        "status",
        "category",
        ServiceSidoFilter,
        ("plan__municipality", MunicipalityListFilter),
        "plan__kind",
        "category_basis",
        "tags",
    )
    # Shows the search box and allows autocomplete; get_search_results folds the text.
    search_fields = (
        "name",
        "description",
        "plan__title",
        "plan__municipality__name",
        "plan__municipality__code",
    )
    autocomplete_fields = ("plan",)
    list_select_related = ("plan__municipality__parent", "category")
    list_per_page = 50
    actions = [
        "publish",
        "unpublish",
        "confirm_suggested_category",
        "mark_status_built",
        "mark_status_operating",
    ]
    fieldsets = (
        (None, {"fields": ("plan", "name", "description", "loaded_version")}),
        (_("분류"), {"fields": ("category", "category_basis", "subcategory", "tags")}),
        (_("상태"), {"fields": ("status", "is_published", "published_at", "published_by")}),
        (_("출처"), {"fields": ("source_url", "source_page", "source_note")}),
        (_("기록"), {"fields": ("created_at", "updated_at"), "classes": ("collapse",)}),
    )

    def get_readonly_fields(self, request, obj=None):
        fields = ["published_at", "published_by", "created_at", "updated_at"]
        if not can_publish(request.user):
            fields.insert(0, "is_published")
        return fields

    def save_model(self, request, obj, form, change):
        if "is_published" in form.changed_data:
            _stamp_publication(obj, request.user)
        _settle_suggested_category(obj, form)
        super().save_model(request, obj, form, change)

    class Media:  # the field hint's, and names for the plan's autocomplete box
        js = (*CategoryHintMedia.Media.js, *AutocompleteNamesMedia.Media.js)
        css = CategoryHintMedia.Media.css

    def get_search_results(self, request, queryset, search_term):
        return search_services(queryset, search_term), False

    def response_change(self, request, obj):
        """A service opened from its plan's table goes back to the plan when saved."""
        response = super().response_change(request, obj)
        if request.GET.get(FROM_PLAN) != "1" or not isinstance(response, HttpResponseRedirect):
            return response
        if "_continue" in request.POST:
            response["Location"] = request.get_full_path()
        elif not {"_addanother", "_saveasnew"} & set(request.POST):
            response["Location"] = reverse("admin:catalog_plan_change", args=[obj.plan_id])
        return response

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None and request.GET.get(FROM_PLAN) == "1":
            context["return_to_plan"] = obj.plan
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_published and not can_publish(request.user):
            return False
        return super().has_delete_permission(request, obj)

    def has_publish_permission(self, request):
        return can_publish(request.user)

    @admin.action(description=_("선택한 서비스 공개"), permissions=["publish"])
    def publish(self, request, queryset):
        self._set_published(request, queryset, True)

    @admin.action(description=_("선택한 서비스 공개 취소"), permissions=["publish"])
    def unpublish(self, request, queryset):
        self._set_published(request, queryset, False)

    @admin.action(description=_("선택한 서비스의 제안된 분야 확인"), permissions=["publish"])
    @transaction.atomic
    def confirm_suggested_category(self, request, queryset):
        """A reviewer agrees with the suggested field: it becomes an editor's assignment."""
        confirmed = 0
        suggested = queryset.filter(category_basis=Service.CategoryBasis.SUGGESTED)
        for service in suggested.select_for_update(of=("self",)):
            service.category_basis = Service.CategoryBasis.EDITOR
            service._change_reason = str(_("제안된 분야 확인"))
            service.save(update_fields=["category_basis", "updated_at"])
            confirmed += 1
        self.message_user(
            request,
            ngettext(
                "서비스 %d개의 분야를 확인했습니다.",
                "서비스 %d개의 분야를 확인했습니다.",
                confirmed,
            )
            % confirmed,
        )

    def get_urls(self):
        view = self.admin_site.admin_view(self.suggest_category_view)
        return [
            path("suggest-category/", view, name="catalog_service_suggest_category"),
            *super().get_urls(),
        ]

    def suggest_category_view(self, request):
        """The suggested field for a name (and description) being typed, as JSON."""
        if not (self.has_add_permission(request) or self.has_change_permission(request)):
            raise Http404
        name = request.GET.get("name", "").strip()[:200]
        if not name:
            return JsonResponse({"suggestion": None})
        description = request.GET.get("description", "")[:2000]
        suggestion = CategorySuggester.for_catalog().suggest(name, description)
        categories = Category.objects.in_bulk(
            [suggestion.category, suggestion.alternative], field_name="code"
        )

        def named(code, confidence):
            category = categories.get(code)
            if category is None:
                return None
            return {
                "id": category.pk,
                "code": category.code,
                "name": category.name,
                "confidence": round(confidence, 2),
            }

        return JsonResponse(
            {
                "suggestion": named(suggestion.category, suggestion.confidence),
                "alternative": named(suggestion.alternative, suggestion.alternative_confidence),
                "label": str(_("분야 제안")),
                "alternative_label": str(_("다음 후보")),
                "apply_label": str(_("이 분야로")),
            }
        )

    @admin.action(description=_("선택한 서비스 상태를 구축으로"), permissions=["change"])
    def mark_status_built(self, request, queryset):
        self._set_status(request, queryset, Service.Status.BUILT)

    @admin.action(description=_("선택한 서비스 상태를 운영으로"), permissions=["change"])
    def mark_status_operating(self, request, queryset):
        self._set_status(request, queryset, Service.Status.OPERATING)

    @transaction.atomic
    def _set_published(self, request, queryset, published: bool):
        # Saved one by one so that each change gets its history record and version.
        changed = 0
        for service in queryset.select_for_update(of=("self",)).filter(is_published=not published):
            service.is_published = published
            _stamp_publication(service, request.user)
            service.save()
            changed += 1
        message = (
            ngettext("서비스 %d개를 공개했습니다.", "서비스 %d개를 공개했습니다.", changed)
            if published
            else ngettext(
                "서비스 %d개를 공개 취소했습니다.", "서비스 %d개를 공개 취소했습니다.", changed
            )
        )
        self.message_user(request, message % changed)

    @transaction.atomic
    def _set_status(self, request, queryset, status):
        changed = 0
        for service in queryset.select_for_update(of=("self",)).exclude(status=status):
            service.status = status
            service.save()
            changed += 1
        self.message_user(
            request,
            ngettext("서비스 %d개를 바꿨습니다.", "서비스 %d개를 바꿨습니다.", changed) % changed,
        )

    @admin.display(description=_("자치단체"), ordering="plan__municipality__code")
    def municipality(self, obj):
        return obj.plan.municipality

    @admin.display(description=_("계획"), ordering="plan__title")
    def plan_title(self, obj):
        return obj.plan.title


def _settle_suggested_category(service: Service, form) -> None:
    """A person who picks another field for a suggested one has decided it: the field is
    theirs, no longer a suggestion awaiting review."""
    if (
        service.category_basis == Service.CategoryBasis.SUGGESTED
        and "category" in form.changed_data
        and "category_basis" not in form.changed_data
    ):
        service.category_basis = Service.CategoryBasis.EDITOR


def _stamp_publication(service: Service, user) -> None:
    """Record who published a service and when (kept when it is unpublished again)."""
    if service.is_published:
        service.published_at = timezone.now()
        service.published_by = user


@admin.register(EditorAssignment)
class EditorAssignmentAdmin(admin.ModelAdmin):
    list_display = ("user", "municipality")
    list_filter = ("municipality__parent",)
    search_fields = ("user__username", "municipality__name", "municipality__code")
    autocomplete_fields = ("user", "municipality")
    list_select_related = ("user", "municipality__parent")


class EditorAssignmentInline(admin.TabularInline):
    model = EditorAssignment
    extra = 1
    autocomplete_fields = ("municipality",)
    verbose_name = _("담당 자치단체")
    verbose_name_plural = _("담당 자치단체 (편집자는 이 자치단체의 계획과 서비스만 다룹니다)")


class StaffUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, EditorAssignmentInline]


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)


# django-axes lists its records under "Axes" with two columns labelled by method names
# ("Status", "Expiration"); staff read Korean names (its other labels are in locale/ko).
apps.get_app_config("axes").verbose_name = _("로그인 잠금")


class LoginAttemptAdmin(AxesAccessAttemptAdmin):
    @admin.display(description=_("남은 시도"))
    def status(self, obj):
        return super().status(obj)

    @admin.display(description=_("만료 일시"))
    def expiration(self, obj):
        return super().expiration(obj)


admin.site.unregister(AccessAttempt)
admin.site.register(AccessAttempt, LoginAttemptAdmin)
