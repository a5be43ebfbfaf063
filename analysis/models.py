"""Stored results of the duplication method and the staff decisions that correct them.

A run of ``find_duplicates`` replaces the clusters nobody has curated. Clusters staff have
confirmed (directly, or by editing, merging or moving services) keep their members across
runs, and "not the same idea" decisions keep two services apart in every later run.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from catalog.models import Service


class RunStatus(models.TextChoices):
    SUCCEEDED = "succeeded", _("완료")
    FAILED = "failed", _("실패")


class DuplicationRun(models.Model):
    """One execution of the method, with everything needed to reproduce it."""

    Status = RunStatus

    started_at = models.DateTimeField(_("시작"), auto_now_add=True)
    finished_at = models.DateTimeField(_("끝"), null=True, blank=True)
    method = models.CharField(_("방법"), max_length=100)
    parameters = models.JSONField(_("매개변수"), default=dict)
    status = models.CharField(
        _("상태"), max_length=10, choices=RunStatus.choices, default=RunStatus.SUCCEEDED
    )
    service_count = models.PositiveIntegerField(_("대상 서비스 수"), default=0)
    cluster_count = models.PositiveIntegerField(_("묶음 수"), default=0)
    seconds = models.FloatField(_("걸린 시간(초)"), null=True, blank=True)

    class Meta:
        verbose_name = _("중복 분석 실행")
        verbose_name_plural = _("중복 분석 실행")
        ordering = ["-started_at", "-id"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"{self.method} · {self.started_at:%Y-%m-%d %H:%M}"


class IdeaCluster(models.Model):
    """Services of different municipalities that are the same idea in other words."""

    label = models.CharField(_("아이디어"), max_length=200)
    run = models.ForeignKey(
        DuplicationRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clusters",
        verbose_name=_("만든 실행"),
    )
    is_confirmed = models.BooleanField(
        _("확정"),
        default=False,
        help_text=_("확정된 묶음은 다시 분석해도 구성원이 바뀌지 않습니다."),
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("확정한 사람"),
    )
    confirmed_at = models.DateTimeField(_("확정일시"), null=True, blank=True)
    # How far the idea has spread among published services, kept by analysis.spread.
    municipality_count = models.PositiveIntegerField(
        _("공개 자치단체 수"), default=0, editable=False
    )
    service_count = models.PositiveIntegerField(_("공개 서비스 수"), default=0, editable=False)
    created_at = models.DateTimeField(_("만든 날"), auto_now_add=True)
    updated_at = models.DateTimeField(_("고친 날"), auto_now=True)

    class Meta:
        verbose_name = _("아이디어 묶음")
        verbose_name_plural = _("아이디어 묶음")
        ordering = ["label", "id"]
        indexes = [
            models.Index(
                fields=["-municipality_count", "-service_count"], name="ideacluster_spread_idx"
            )
        ]

    def __str__(self) -> str:
        return self.label


class MemberOrigin(models.TextChoices):
    METHOD = "method", _("분석")
    STAFF = "staff", _("담당자")


class ClusterMember(models.Model):
    """A service's place in a cluster; a service belongs to at most one cluster."""

    Origin = MemberOrigin

    cluster = models.ForeignKey(
        IdeaCluster, on_delete=models.CASCADE, related_name="members", verbose_name=_("묶음")
    )
    service = models.OneToOneField(
        Service, on_delete=models.CASCADE, related_name="idea", verbose_name=_("서비스")
    )
    similarity = models.FloatField(
        _("유사도"), default=1.0, help_text=_("묶음의 다른 서비스와의 평균 유사도(0–1).")
    )
    origin = models.CharField(
        _("출처"), max_length=6, choices=MemberOrigin.choices, default=MemberOrigin.METHOD
    )

    class Meta:
        verbose_name = _("묶음 구성원")
        verbose_name_plural = _("묶음 구성원")
        ordering = ["cluster", "-similarity", "service_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(similarity__gte=0) & Q(similarity__lte=1),
                name="cluster_member_similarity_in_unit_range",
            ),
            models.CheckConstraint(
                condition=Q(origin__in=MemberOrigin.values), name="cluster_member_origin_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.cluster} ← {self.service}"


class NotSameIdea(models.Model):
    """A staff decision that two services are different ideas; every run respects it."""

    first = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="+", verbose_name=_("서비스 1")
    )
    second = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="+", verbose_name=_("서비스 2")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("결정한 사람"),
    )
    decided_at = models.DateTimeField(_("결정일시"), auto_now_add=True)
    note = models.CharField(_("메모"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("다른 아이디어 결정")
        verbose_name_plural = _("다른 아이디어 결정")
        ordering = ["-decided_at"]
        constraints = [
            models.UniqueConstraint(fields=["first", "second"], name="not_same_idea_pair_unique"),
            # Pairs are stored in one order, so (a, b) and (b, a) cannot both exist.
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="not_same_idea_pair_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first} ≠ {self.second}"

    @classmethod
    def record(cls, a: Service | int, b: Service | int, user=None, note: str = ""):
        first, second = sorted([getattr(a, "pk", a), getattr(b, "pk", b)])
        decision, _ = cls.objects.get_or_create(
            first_id=first, second_id=second, defaults={"decided_by": user, "note": note}
        )
        return decision
