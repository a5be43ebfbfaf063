"""Stored results of the duplication method and the staff decisions that correct them.

A run of ``find_duplicates`` replaces the clusters nobody has curated. Clusters staff have
confirmed (directly, or by editing, merging or moving services) keep their members across
runs, and "not the same idea" decisions keep two services apart in every later run.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from analysis.querysets import IdeaClusterQuerySet
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
    catalog_revision = models.PositiveBigIntegerField(
        _("카탈로그 판"),
        null=True,
        blank=True,
        help_text=_(
            "실행의 묶음이 설명하는 카탈로그의 판. 이보다 새 판이면 다음 실행을 기다리는 변경이 "
            "있습니다."
        ),
    )

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
    explanation = models.JSONField(
        _("묶은 까닭"),
        default=dict,
        blank=True,
        help_text=_("구성원이 함께 묶인 까닭: 공통 핵심어, 쓰인 동의어·배운 같음, 유사도."),
    )
    municipality_count = models.PositiveIntegerField(
        _("공개 자치단체 수"), default=0, editable=False
    )
    service_count = models.PositiveIntegerField(_("공개 서비스 수"), default=0, editable=False)
    created_at = models.DateTimeField(_("만든 날"), auto_now_add=True)
    updated_at = models.DateTimeField(_("고친 날"), auto_now=True)

    objects = IdeaClusterQuerySet.as_manager()

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

    def get_absolute_url(self) -> str:
        """The idea's page; only shared clusters (two or more municipalities) have one."""
        return reverse("analysis:idea-detail", args=[self.pk])


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


class EquivalenceKind(models.TextChoices):
    SAME = "same", _("같은 아이디어")
    DIFFERENT = "different", _("다른 아이디어")


class LearnedEquivalence(models.Model):
    """What staff curation taught the method, beyond the services it was decided on.

    Two normalised names (the method's compared text, e.g. ``주차공유`` and ``주차정보``) are
    the same idea, or not. Every later run groups, or keeps apart, every pair of services
    whose names normalise to them. Undoing an entry deactivates it (it stays as a record).
    """

    Kind = EquivalenceKind

    kind = models.CharField(_("종류"), max_length=10, choices=EquivalenceKind.choices)
    first = models.CharField(_("표현 1"), max_length=200)
    second = models.CharField(_("표현 2"), max_length=200)
    first_example = models.CharField(_("예 1"), max_length=200, blank=True)
    second_example = models.CharField(_("예 2"), max_length=200, blank=True)
    source = models.CharField(_("배운 곳"), max_length=40, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("결정한 사람"),
    )
    decided_at = models.DateTimeField(_("결정일시"), auto_now_add=True)
    is_active = models.BooleanField(_("사용"), default=True)

    class Meta:
        verbose_name = _("배운 같음·다름")
        verbose_name_plural = _("배운 같음·다름")
        ordering = ["-decided_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "first", "second"], name="learned_equivalence_unique"
            ),
            models.CheckConstraint(
                condition=Q(first__lt=models.F("second")), name="learned_equivalence_ordered"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=EquivalenceKind.values), name="learned_equivalence_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        sign = "=" if self.kind == EquivalenceKind.SAME else "≠"
        return f"{self.first} {sign} {self.second}"
