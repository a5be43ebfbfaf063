"""Staff curation of the duplication clusters.

Whatever staff do to a cluster makes it *confirmed*, and confirmed clusters keep their members
in every later run of ``find_duplicates``:

* confirm clusters (action);
* move a service out of a cluster (tick "다른 아이디어로 표시" on its row, then confirm on the
  page that says what this records): the service is recorded as "not the same idea" as each
  remaining member, so no run puts them together again; the cluster page lists the services
  set apart, and "되돌리기" puts one back and withdraws those decisions;
* move a service into a cluster (add a row): it leaves any cluster it was in;
* merge clusters (action): the members of all selected clusters join the first one;
* record two services as "not the same idea" directly.

Each of these decisions also teaches the method a pair of names (``analysis.learning``), so the
next run treats services of other municipalities named alike the same way; what was learned is
listed under 배운 같음·다름, where staff stop using an entry or use it again.
"""

import re

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, override

from analysis import learning, spread
from analysis.models import (
    ClusterMember,
    DuplicationRun,
    IdeaCluster,
    LearnedEquivalence,
    NotSameIdea,
)
from catalog import revision
from catalog.models import Service

# The note a removal records on its "not the same idea" decisions, and the form's flag that the
# staff member confirmed what a removal records.
SET_APART_NOTE = _("묶음에서 뺌")
SET_APART_CONFIRMED = "confirm_set_apart"
TICKED_MEMBER = re.compile(r"^members-(\d+)-DELETE$")


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
    """The members; a ticked "다른 아이디어로 표시" box sets one apart once confirmed."""

    model = ClusterMember
    form = MemberForm
    template = "admin/analysis/ideacluster/member_inline.html"
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
    fields = ("label", "is_confirmed", "confirmed_by", "confirmed_at", "run", "why", "set_apart")
    # Unticking 확정 hands the cluster back to the method; any other edit confirms it.
    readonly_fields = ("confirmed_by", "confirmed_at", "run", "why", "set_apart")
    inlines = [ClusterMemberInline]
    actions = ["confirm", "merge"]

    class Media:  # names for the members' autocomplete boxes
        js = ("js/admin-autocomplete-names.js",)

    def get_urls(self):
        view = self.admin_site.admin_view(self.put_back_view)
        return [
            path(
                "<path:object_id>/put-back/<int:service_id>/",
                view,
                name="analysis_ideacluster_put_back",
            ),
            *super().get_urls(),
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A save that sets members apart first shows what that records, and saves only once
        the staff member confirms (the confirming form posts the same data again)."""
        leaving = self._ticked_members(request, object_id)
        if leaving and SET_APART_CONFIRMED not in request.POST:
            return self._confirm_set_apart(request, leaving[0].cluster, leaving)
        return super().changeform_view(request, object_id, form_url, extra_context)

    def _ticked_members(self, request, object_id) -> list[ClusterMember]:
        if request.method != "POST" or object_id is None:
            return []
        ids = [
            request.POST.get(f"members-{match[1]}-id")
            for key, value in request.POST.items()
            if value and (match := TICKED_MEMBER.match(key))
        ]
        return list(
            ClusterMember.objects.filter(cluster_id=unquote(object_id), pk__in=filter(None, ids))
            .select_related("cluster", "service__plan__municipality__parent")
            .order_by("service__name")
        )

    def _confirm_set_apart(self, request, cluster, leaving):
        if not self.has_change_permission(request, cluster):
            raise PermissionDenied
        staying = cluster.members.exclude(pk__in=[m.pk for m in leaving]).count()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "cluster": cluster,
            "leaving": leaving,
            "staying": staying,
            "posted": [
                (key, value)
                for key, values in request.POST.lists()
                if key != "csrfmiddlewaretoken"
                for value in values
            ],
            "confirm_field": SET_APART_CONFIRMED,
            "title": _("다른 아이디어로 표시할까요?"),
        }
        return TemplateResponse(
            request, "admin/analysis/ideacluster/set_apart_confirm.html", context
        )

    def put_back_view(self, request, object_id, service_id):
        """Undo a removal: the service rejoins the cluster, and the "not the same idea"
        decisions and the differences learned when it was set apart are withdrawn."""
        cluster = self.get_object(request, unquote(object_id))
        if cluster is None:
            raise Http404
        if not self.has_change_permission(request, cluster):
            raise PermissionDenied
        service = get_object_or_404(
            Service.objects.select_related("plan__municipality__parent"),
            pk=service_id,
            pk__in=set_apart_from(cluster),
        )
        change_url = reverse("admin:analysis_ideacluster_change", args=[cluster.pk])
        if request.method == "POST":
            put_back(cluster, service, request.user)
            self.message_user(
                request,
                _("'%(service)s'을(를) 묶음에 되돌렸습니다. 다른 아이디어 결정도 거뒀습니다.")
                % {"service": service},
            )
            return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "cluster": cluster,
            "service": service,
            "change_url": change_url,
            "title": _("묶음에 되돌릴까요?"),
        }
        return TemplateResponse(
            request, "admin/analysis/ideacluster/put_back_confirm.html", context
        )

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

    @admin.display(description=_("다른 아이디어로 표시해 뺀 서비스"))
    def set_apart(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        services = Service.objects.filter(pk__in=set_apart_from(obj)).select_related(
            "plan__municipality__parent"
        )
        if not services:
            return _("없음")
        rows = format_html_join(
            "",
            '<li>{} <small>({})</small> <a href="{}">{}</a></li>',
            (
                (
                    service.name,
                    service.plan.municipality,
                    reverse("admin:analysis_ideacluster_put_back", args=[obj.pk, service.pk]),
                    _("되돌리기…"),
                )
                for service in services.order_by("name")
            ),
        )
        return format_html('<ul class="set-apart">{}</ul>', rows)

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
                NotSameIdea.record(removed.service_id, other, request.user, str(SET_APART_NOTE))
            learning.removed(removed.service_id, remaining, request.user)
            removed.delete()
            self.message_user(
                request,
                _(
                    "'%(service)s'을(를) 다른 아이디어로 표시하고 묶음에서 뺐습니다. 되돌리려면 "
                    "이 묶음의 '다른 아이디어로 표시해 뺀 서비스'에서 '되돌리기'를 누르세요."
                )
                % {"service": removed.service},
            )
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


def set_apart_notes() -> set[str]:
    """The removal note as it may have been stored, in each language of the interface."""
    notes = set()
    for code, _name in settings.LANGUAGES:
        with override(code):
            notes.add(str(SET_APART_NOTE))
    return notes


def set_apart_from(cluster: IdeaCluster) -> set[int]:
    """The services staff set apart from ``cluster`` and that have not rejoined it."""
    members = set(cluster.members.values_list("service_id", flat=True))
    decisions = NotSameIdea.objects.filter(note__in=set_apart_notes()).filter(
        Q(first__in=members) | Q(second__in=members)
    )
    apart = set()
    for first, second in decisions.values_list("first_id", "second_id"):
        other = second if first in members else first
        if other not in members:
            apart.add(other)
    return apart


@transaction.atomic
def put_back(cluster: IdeaCluster, service: Service, user) -> None:
    """``service`` rejoins ``cluster``; what its removal recorded is withdrawn."""
    members = list(
        cluster.members.values_list(
            "service_id", "service__name", "service__plan__municipality__name"
        )
    )
    member_ids = [pk for pk, _name, _place in members]
    NotSameIdea.objects.filter(note__in=set_apart_notes()).filter(
        Q(first=service, second__in=member_ids) | Q(second=service, first__in=member_ids)
    ).delete()
    leaving = learning.name_of(service.name, service.plan.municipality.name).text
    others = {learning.name_of(name, place).text for _pk, name, place in members}
    learned = Q()
    for other in others:
        learned |= Q(first=leaving, second=other) | Q(first=other, second=leaving)
    if others:
        learning.set_active(
            LearnedEquivalence.objects.filter(
                learned, kind=LearnedEquivalence.Kind.DIFFERENT, source=learning.Source.REMOVE
            ),
            False,
        )
    previous = ClusterMember.objects.filter(service=service)
    left = list(previous.values_list("cluster_id", flat=True))
    previous.delete()
    ClusterMember.objects.create(
        cluster=cluster, service=service, origin=ClusterMember.Origin.STAFF
    )
    _confirm(cluster, user)
    cluster.save()
    spread.refresh(IdeaCluster.objects.filter(pk__in=[cluster.pk, *left]))
    revision.bump()


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

    class Media:  # names for the autocomplete boxes
        js = ("js/admin-autocomplete-names.js",)

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
