"""Staff curation of the duplication clusters.

Whatever staff do to a cluster makes it *confirmed*, and confirmed clusters keep their members
in every later run of ``find_duplicates``:

* confirm clusters (action);
* move a service out of a cluster (delete its row): the service is recorded as "not the same
  idea" as each remaining member, so no run puts them together again;
* move a service into a cluster (add a row): it leaves any cluster it was in;
* merge clusters (action): the members of all selected clusters join the first one;
* record two services as "not the same idea" directly.

Each of these decisions also teaches the method a pair of names (``analysis.learning``), so the
next run treats services of other municipalities named alike the same way; what was learned is
listed under 배운 같음·다름, where staff stop using an entry or use it again.
"""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from analysis import learning, spread
from analysis.models import (
    ClusterMember,
    DuplicationRun,
    IdeaCluster,
    LearnedEquivalence,
    NotSameIdea,
)
from catalog import revision


@admin.register(DuplicationRun)
class DuplicationRunAdmin(admin.ModelAdmin):
    list_display = (
        "started_at",
        "method",
        "status",
        "service_count",
        "cluster_count",
        "seconds",
    )
    list_filter = ("status",)
    readonly_fields = [f.name for f in DuplicationRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MemberForm(forms.ModelForm):
    class Meta:
        model = ClusterMember
        fields = ("service",)

    def validate_unique(self):
        # A service already in another cluster may be moved here; save_formset moves it.
        pass


class ClusterMemberInline(admin.TabularInline):
    model = ClusterMember
    form = MemberForm
    extra = 1
    autocomplete_fields = ("service",)
    fields = ("service", "municipality", "similarity", "origin")
    readonly_fields = ("municipality", "similarity", "origin")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("service__plan__municipality__parent")

    @admin.display(description=_("자치단체"))
    def municipality(self, obj):
        return obj.service.plan.municipality if obj.pk else "—"


@admin.register(IdeaCluster)
class IdeaClusterAdmin(admin.ModelAdmin):
    list_display = ("label", "services", "municipalities", "is_confirmed", "run", "updated_at")
    list_filter = ("is_confirmed",)
    search_fields = ("label", "members__service__name")
    ordering = ("-is_confirmed", "label")
    list_select_related = ("run",)
    fields = ("label", "is_confirmed", "confirmed_by", "confirmed_at", "run", "why")
    # Unticking 확정 hands the cluster back to the method; any other edit confirms it.
    readonly_fields = ("confirmed_by", "confirmed_at", "run", "why")
    inlines = [ClusterMemberInline]
    actions = ["confirm", "merge"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                member_count=Count("members", distinct=True),
                member_municipalities=Count("members__service__plan__municipality", distinct=True),
            )
        )

    @admin.display(description=_("서비스 수"), ordering="member_count")
    def services(self, obj):
        return obj.member_count

    @admin.display(description=_("자치단체 수"), ordering="member_municipalities")
    def municipalities(self, obj):
        return obj.member_municipalities

    @admin.display(description=_("묶은 까닭"))
    def why(self, obj):
        return render_to_string(
            "analysis/includes/why_grouped.html",
            {"reasons": learning.reason_rows(obj.explanation)},
        )

    def save_model(self, request, obj, form, change):
        was_confirmed = bool(change and form.initial.get("is_confirmed"))
        if "is_confirmed" in form.changed_data and not obj.is_confirmed:
            obj.confirmed_by = obj.confirmed_at = None
        else:
            _confirm(obj, request.user)
        obj._newly_confirmed = obj.is_confirmed and not was_confirmed
        super().save_model(request, obj, form, change)
        revision.bump()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if getattr(form.instance, "_newly_confirmed", False):  # with its members as saved
            learning.confirmed([form.instance.pk], request.user)

    @transaction.atomic
    def save_formset(self, request, form, formset, change):
        cluster = form.instance
        members = formset.save(commit=False)
        for removed in formset.deleted_objects:
            remaining = list(
                cluster.members.exclude(pk=removed.pk).values_list("service_id", flat=True)
            )
            for other in remaining:
                NotSameIdea.record(removed.service_id, other, request.user, _("묶음에서 뺌"))
            learning.removed(removed.service_id, remaining, request.user)
            removed.delete()
        left = set()
        for member in members:
            previous = ClusterMember.objects.filter(service=member.service).exclude(pk=member.pk)
            left.update(previous.values_list("cluster_id", flat=True))
            previous.delete()
            member.cluster = cluster
            member.origin = ClusterMember.Origin.STAFF
            member.save()
        if change and members:  # a new cluster's members are learned as it is confirmed
            learning.moved_in(cluster.pk, [m.service_id for m in members], request.user)
        spread.refresh(IdeaCluster.objects.filter(pk__in=[cluster.pk, *left]))

    @admin.action(description=_("선택한 묶음 확정"))
    def confirm(self, request, queryset):
        now = timezone.now()
        ids = list(queryset.values_list("pk", flat=True))
        count = queryset.update(is_confirmed=True, confirmed_by=request.user, confirmed_at=now)
        learning.confirmed(ids, request.user)
        revision.bump()
        message = ngettext("묶음 %d개를 확정했습니다.", "묶음 %d개를 확정했습니다.", count)
        self.message_user(request, message % count)

    @admin.action(description=_("선택한 묶음 합치기"))
    @transaction.atomic
    def merge(self, request, queryset):
        clusters = list(queryset.order_by("-member_count", "pk"))
        if len(clusters) < 2:
            self.message_user(request, _("합칠 묶음을 두 개 이상 고르세요."), messages.WARNING)
            return
        target, others = clusters[0], clusters[1:]
        conflicts = _not_same_within(clusters)
        if conflicts:
            pairs = ", ".join(f"{a} ≠ {b}" for a, b in conflicts[:5])
            self.message_user(
                request,
                _("'다른 아이디어'로 결정된 서비스가 함께 있어 합치지 않았습니다: %(pairs)s")
                % {"pairs": pairs},
                messages.ERROR,
            )
            return
        learning.merged([target.pk, *(c.pk for c in others)], request.user)
        ClusterMember.objects.filter(cluster__in=others).update(cluster=target)
        IdeaCluster.objects.filter(pk__in=[c.pk for c in others]).delete()
        _confirm(target, request.user)
        target.save()
        spread.refresh(IdeaCluster.objects.filter(pk=target.pk))
        message = _("%(n)d개 묶음을 '%(label)s'에 합쳤습니다.")
        self.message_user(request, message % {"n": len(others), "label": target})


def _not_same_within(clusters) -> list[tuple]:
    """Pairs of services in these clusters that staff have said are different ideas."""
    service_ids = ClusterMember.objects.filter(cluster__in=clusters).values("service_id")
    return [
        (decision.first, decision.second)
        for decision in NotSameIdea.objects.filter(
            first__in=service_ids, second__in=service_ids
        ).select_related("first", "second")
    ]


def _confirm(cluster: IdeaCluster, user) -> None:
    if not cluster.is_confirmed or cluster.confirmed_by_id is None:
        cluster.is_confirmed = True
        cluster.confirmed_by = user
        cluster.confirmed_at = timezone.now()


class NotSameIdeaForm(forms.ModelForm):
    class Meta:
        model = NotSameIdea
        fields = ("first", "second", "note")

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("first"), cleaned.get("second")
        if first and second and first == second:
            raise forms.ValidationError(_("서로 다른 두 서비스를 고르세요."))
        if first and second and first.pk > second.pk:
            cleaned["first"], cleaned["second"] = second, first
            self.instance.first, self.instance.second = second, first
        return cleaned


@admin.register(NotSameIdea)
class NotSameIdeaAdmin(admin.ModelAdmin):
    form = NotSameIdeaForm
    list_display = ("first", "second", "note", "decided_by", "decided_at")
    search_fields = ("first__name", "second__name", "note")
    autocomplete_fields = ("first", "second")
    list_select_related = ("first", "second", "decided_by")

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        obj.decided_by = obj.decided_by or request.user
        super().save_model(request, obj, form, change)
        if not change or {"first", "second"} & set(form.changed_data):  # not a note's edit
            learning.not_same(obj.first_id, obj.second_id, request.user)
        _separate_now(obj)


def _separate_now(decision: NotSameIdea) -> None:
    """If the two services share a cluster, the less similar one leaves it at once."""
    pair = ClusterMember.objects.filter(
        Q(service=decision.first_id) | Q(service=decision.second_id)
    ).order_by("-similarity", "service_id")
    if len(pair) == 2 and pair[0].cluster_id == pair[1].cluster_id:
        pair[1].delete()
        spread.refresh(IdeaCluster.objects.filter(pk=pair[0].cluster_id))


class LearnedSourceFilter(admin.SimpleListFilter):
    title = _("배운 곳")
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return list(learning.SOURCE_LABELS.items())

    def queryset(self, request, queryset):
        return queryset.filter(source=self.value()) if self.value() else queryset


@admin.register(LearnedEquivalence)
class LearnedEquivalenceAdmin(admin.ModelAdmin):
    """What curation taught the method. Entries come from curation only; staff stop using one
    (the next run no longer applies it) or use it again. Reviewers may do both, as they curate
    clusters; only administrators may delete an entry, and with it its record."""

    list_display = (
        "kind",
        "first",
        "second",
        "examples",
        "source_label",
        "decided_by",
        "decided_at",
        "is_active",
    )
    list_filter = ("kind", "is_active", LearnedSourceFilter)
    search_fields = ("first", "second", "first_example", "second_example")
    list_select_related = ("decided_by",)
    fields = (
        "kind",
        "first",
        "second",
        "first_example",
        "second_example",
        "source_label",
        "decided_by",
        "decided_at",
        "is_active",
    )
    readonly_fields = (
        "kind",
        "first",
        "second",
        "first_example",
        "second_example",
        "source_label",
        "decided_by",
        "decided_at",
    )
    actions = ["stop_using", "use_again"]

    @admin.display(description=_("예"))
    def examples(self, obj):
        sign = "=" if obj.kind == LearnedEquivalence.Kind.SAME else "≠"
        return f"{obj.first_example or obj.first} {sign} {obj.second_example or obj.second}"

    @admin.display(description=_("배운 곳"), ordering="source")
    def source_label(self, obj):
        return learning.SOURCE_LABELS.get(obj.source, obj.source)

    def has_add_permission(self, request):
        return False  # learned from curation, never typed in

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) or learning.may_curate(request.user)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) or learning.may_curate(request.user)

    def has_delete_permission(self, request, obj=None):
        return learning.may_delete(request.user)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if "is_active" in form.changed_data:
            revision.bump()  # the next run uses the entry, or no longer does

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        revision.bump()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        revision.bump()

    @admin.action(description=_("선택한 항목 사용 중지(되돌리기)"), permissions=["change"])
    def stop_using(self, request, queryset):
        count = learning.set_active(queryset, False)
        message = ngettext(
            "%d개 항목을 더 쓰지 않습니다. 다음 분석 실행부터 적용됩니다.",
            "%d개 항목을 더 쓰지 않습니다. 다음 분석 실행부터 적용됩니다.",
            count,
        )
        self.message_user(request, message % count)

    @admin.action(description=_("선택한 항목 다시 사용"), permissions=["change"])
    def use_again(self, request, queryset):
        count = learning.set_active(queryset, True)
        message = ngettext(
            "%d개 항목을 다시 씁니다. 다음 분석 실행부터 적용됩니다.",
            "%d개 항목을 다시 씁니다. 다음 분석 실행부터 적용됩니다.",
            count,
        )
        self.message_user(request, message % count)
