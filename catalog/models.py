"""The catalog's data: who plans (Municipality), in which plan (Plan), what (Service), in
which statutory field (Category, SubCategory), with which technologies and for whom (Tag).

Every rule the data must keep is a database constraint, so that no import, script or admin
form can store a row that breaks it; ``clean()`` repeats the rules that span tables.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length, Lower, Trim
from django.db.models.lookups import GreaterThan
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from catalog import search
from catalog.querysets import (
    CategoryQuerySet,
    MunicipalityQuerySet,
    PlanQuerySet,
    ServiceQuerySet,
    SubCategoryQuerySet,
    TagQuerySet,
)

MUNICIPALITY_CODE_PATTERN = r"^[0-9]{5}$"
EARLIEST_PLAN_YEAR = 1990
LATEST_PLAN_YEAR = 2100
# Ids are 64-bit (BigAutoField): a larger number names no row, and SQLite cannot even bind it.
LARGEST_ID = 2**63 - 1


class WebAddressField(models.URLField):
    """A URL column whose form field assumes https:// when the scheme is left out."""

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})


def _english_active() -> bool:
    return (get_language() or "ko").startswith("en")


def not_blank(field: str, model: str) -> models.CheckConstraint:
    """A text column that must hold something other than spaces."""
    return models.CheckConstraint(
        condition=GreaterThan(Length(Trim(field)), 0),
        name=f"{model}_{field}_not_blank",
        violation_error_message=_("비어 있을 수 없습니다."),
    )


def one_of(field: str, choices: type[models.TextChoices], model: str) -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__in": choices.values}),
        name=f"{model}_{field}_valid",
    )


class MunicipalityLevel(models.TextChoices):
    SIDO = "sido", _("시·도")
    SI = "si", _("시")
    GUN = "gun", _("군")
    GU = "gu", _("구")


class TagKind(models.TextChoices):
    TECHNOLOGY = "technology", _("기술")
    TARGET = "target", _("대상")


class PlanKind(models.TextChoices):
    MASTER_PLAN = "master_plan", _("스마트도시계획")
    DEVELOPMENT = "development", _("조성사업")
    CHALLENGE = "challenge", _("챌린지")
    SOLUTION = "solution", _("솔루션 확산사업")
    OTHER = "other", _("기타")


class ServiceStatus(models.TextChoices):
    PLANNED = "planned", _("계획")
    BUILT = "built", _("구축")
    OPERATING = "operating", _("운영")
    SUSPENDED = "suspended", _("중단")


class CategoryBasis(models.TextChoices):
    SOURCE = "source", _("출처에 명시")
    EDITOR = "editor", _("편집자 분류")
    SUGGESTED = "suggested", _("자동 제안")


class Municipality(models.Model):
    """A local government (지방자치단체), identified by its statutory 5-digit code."""

    Level = MunicipalityLevel

    code = models.CharField(
        _("행정구역코드"),
        max_length=5,
        unique=True,
        validators=[RegexValidator(MUNICIPALITY_CODE_PATTERN, _("숫자 5자리로 입력하세요."))],
        help_text=_("법정동코드 앞 5자리(예: 41280 고양시, 11000 서울특별시). 주소의 열쇠입니다."),
    )
    name = models.CharField(_("이름"), max_length=40)
    level = models.CharField(_("종류"), max_length=4, choices=Level.choices)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        limit_choices_to={"level": Level.SIDO},
        verbose_name=_("상위 시·도"),
        help_text=_("시·군·구가 속한 시·도. 시·도 자신은 비워 둡니다."),
    )
    former_code = models.CharField(
        _("이전 코드"),
        max_length=5,
        blank=True,
        validators=[RegexValidator(MUNICIPALITY_CODE_PATTERN, _("숫자 5자리로 입력하세요."))],
        help_text=_("코드가 바뀐 경우 바뀌기 전 코드(예: 강원도 42xxx → 강원특별자치도 51xxx)."),
    )
    is_active = models.BooleanField(
        _("현행"), default=True, help_text=_("폐지·통합된 자치단체는 끕니다.")
    )

    objects = MunicipalityQuerySet.as_manager()

    class Meta:
        verbose_name = _("자치단체")
        verbose_name_plural = _("자치단체")
        ordering = ["code"]
        permissions = [
            ("edit_all_municipalities", _("모든 자치단체의 계획과 서비스를 다룰 수 있음")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(code__regex=MUNICIPALITY_CODE_PATTERN),
                name="municipality_code_five_digits",
            ),
            not_blank("name", "municipality"),
            one_of("level", MunicipalityLevel, "municipality"),
            models.CheckConstraint(
                condition=(Q(level="sido") & Q(parent__isnull=True))
                | (~Q(level="sido") & Q(parent__isnull=False)),
                name="municipality_parent_matches_level",
                violation_error_message=_("시·도는 상위 시·도가 없고, 시·군·구는 있어야 합니다."),
            ),
        ]

    def __str__(self) -> str:
        if self.parent_id is None:
            return self.name
        return f"{self.parent.name} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("catalog:municipality-detail", args=[self.code])

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    @property
    def is_sido(self) -> bool:
        return self.level == self.Level.SIDO


class Category(models.Model):
    """One of the 12 statutory smart-city service fields (분야)."""

    code = models.SlugField(
        _("코드"), max_length=40, unique=True, help_text=_("주소와 내보내기에 쓰는 고정 코드.")
    )
    name_ko = models.CharField(_("이름(한국어)"), max_length=60, unique=True)
    name_en = models.CharField(_("이름(영어)"), max_length=80, unique=True)
    description_ko = models.TextField(_("정의(한국어)"), blank=True)
    description_en = models.TextField(_("정의(영어)"), blank=True)
    order = models.PositiveSmallIntegerField(_("표시 순서"), unique=True)

    objects = CategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("분야")
        verbose_name_plural = _("분야")
        ordering = ["order"]
        constraints = [
            not_blank("code", "category"),
            not_blank("name_ko", "category"),
            not_blank("name_en", "category"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:category-detail", args=[self.code])

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    @property
    def name(self) -> str:
        """The name in the active language."""
        return self.name_en if _english_active() else self.name_ko

    @property
    def description(self) -> str:
        return (self.description_en if _english_active() else "") or self.description_ko


class SubCategory(models.Model):
    """A finer group inside a field, such as the four groups of 교통 in the issue paper."""

    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="subcategories", verbose_name=_("분야")
    )
    code = models.SlugField(_("코드"), max_length=60, unique=True)
    name_ko = models.CharField(_("이름(한국어)"), max_length=80)
    name_en = models.CharField(_("이름(영어)"), max_length=100)
    description_ko = models.TextField(_("설명(한국어)"), blank=True)
    description_en = models.TextField(_("설명(영어)"), blank=True)
    order = models.PositiveSmallIntegerField(_("표시 순서"), default=0)

    objects = SubCategoryQuerySet.as_manager()

    class Meta:
        verbose_name = _("세부 분야")
        verbose_name_plural = _("세부 분야")
        ordering = ["category__order", "order"]
        constraints = [
            not_blank("code", "subcategory"),
            not_blank("name_ko", "subcategory"),
            not_blank("name_en", "subcategory"),
            models.UniqueConstraint(
                fields=["category", "name_ko"], name="subcategory_name_unique_in_category"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category.name} › {self.name}"

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    @property
    def name(self) -> str:
        return self.name_en if _english_active() else self.name_ko

    @property
    def description(self) -> str:
        return (self.description_en if _english_active() else "") or self.description_ko


class Tag(models.Model):
    """A technology a service uses or a group of people it serves."""

    Kind = TagKind

    slug = models.SlugField(
        _("코드"), max_length=50, unique=True, allow_unicode=True, help_text=_("주소에 쓰는 코드.")
    )
    name = models.CharField(_("이름"), max_length=50)
    kind = models.CharField(_("종류"), max_length=12, choices=Kind.choices)

    objects = TagQuerySet.as_manager()

    class Meta:
        verbose_name = _("태그")
        verbose_name_plural = _("태그")
        ordering = ["kind", "name"]
        constraints = [
            not_blank("slug", "tag"),
            not_blank("name", "tag"),
            one_of("kind", TagKind, "tag"),
            models.UniqueConstraint(Lower("name"), name="tag_name_unique_ignoring_case"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return f"{reverse('catalog:service-list')}?{urlencode({'tag': self.slug})}"

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class Versioned(models.Model):
    """A row that counts its saves, so that a form built from an older version is refused
    instead of silently overwriting a newer one (see catalog.admin.VersionedForm)."""

    version = models.PositiveIntegerField(_("판"), default=1, editable=False)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self.version += 1
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "version"}
        super().save(*args, **kwargs)


class Plan(Versioned):
    """A municipality's smart-city plan or funded project that lists services."""

    Kind = PlanKind

    year_validators = [
        MinValueValidator(EARLIEST_PLAN_YEAR),
        MaxValueValidator(LATEST_PLAN_YEAR),
    ]

    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="plans", verbose_name=_("자치단체")
    )
    title = models.CharField(_("계획명"), max_length=200)
    kind = models.CharField(
        _("종류"), max_length=12, choices=Kind.choices, default=Kind.MASTER_PLAN
    )
    start_year = models.PositiveSmallIntegerField(
        _("시작 연도"), null=True, blank=True, validators=year_validators
    )
    end_year = models.PositiveSmallIntegerField(
        _("종료 연도"), null=True, blank=True, validators=year_validators
    )
    approved_on = models.DateField(
        _("승인일"), null=True, blank=True, help_text=_("국토교통부 승인 또는 사업 선정일.")
    )
    document_url = WebAddressField(
        _("계획 문서 URL"), max_length=500, blank=True, help_text=_("계획서 원문(PDF 등)의 주소.")
    )
    source_url = WebAddressField(
        _("출처 URL"), max_length=500, blank=True, help_text=_("문서가 없을 때 근거가 된 보도 등.")
    )
    note = models.TextField(_("비고"), blank=True)
    is_synthetic = models.BooleanField(
        _("합성 데이터"),
        default=False,
        editable=False,
        help_text=_("성능 측정용으로 generate_synthetic이 만든 계획(실제 자료가 아님)."),
    )
    created_at = models.DateTimeField(_("등록일시"), auto_now_add=True)
    updated_at = models.DateTimeField(_("수정일시"), auto_now=True)

    objects = PlanQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["version"], verbose_name=_("계획 기록"))

    class Meta:
        verbose_name = _("계획")
        verbose_name_plural = _("계획")
        ordering = ["municipality__code", "-start_year", "title"]
        constraints = [
            not_blank("title", "plan"),
            one_of("kind", PlanKind, "plan"),
            models.UniqueConstraint(
                fields=["municipality", "title"],
                name="plan_title_unique_per_municipality",
                violation_error_message=_("이 자치단체에 같은 이름의 계획이 이미 있습니다."),
            ),
            models.CheckConstraint(
                condition=Q(start_year__isnull=True)
                | Q(end_year__isnull=True)
                | Q(start_year__lte=models.F("end_year")),
                name="plan_start_year_not_after_end_year",
                violation_error_message=_("시작 연도는 종료 연도보다 늦을 수 없습니다."),
            ),
            models.CheckConstraint(
                condition=Q(start_year__isnull=True)
                | Q(start_year__gte=EARLIEST_PLAN_YEAR, start_year__lte=LATEST_PLAN_YEAR),
                name="plan_start_year_in_range",
            ),
            models.CheckConstraint(
                condition=Q(end_year__isnull=True)
                | Q(end_year__gte=EARLIEST_PLAN_YEAR, end_year__lte=LATEST_PLAN_YEAR),
                name="plan_end_year_in_range",
            ),
        ]
        indexes = [models.Index(fields=["kind", "start_year"], name="plan_kind_year_idx")]

    def __str__(self) -> str:
        return f"{self.municipality} · {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("catalog:plan-detail", args=[self.pk])

    def get_service_list_url(self) -> str:
        """The browse page filtered to this plan, where its services can be filtered further
        and exported."""
        return f"{reverse('catalog:service-list')}?{urlencode({'plan': self.pk})}"

    def natural_key(self) -> tuple[str, str]:
        return (*self.municipality.natural_key(), self.title)

    natural_key.dependencies = ["catalog.municipality"]

    @property
    def period(self) -> str:
        if self.start_year and self.end_year:
            return f"{self.start_year}–{self.end_year}"
        return str(self.start_year or self.end_year or "")


class Service(Versioned):
    """One smart-city service of one plan."""

    Status = ServiceStatus

    CategoryBasis = CategoryBasis

    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, related_name="services", verbose_name=_("계획")
    )
    name = models.CharField(_("서비스명"), max_length=200)
    description = models.TextField(_("설명"), blank=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="services", verbose_name=_("분야")
    )
    category_basis = models.CharField(
        _("분야 근거"),
        max_length=10,
        choices=CategoryBasis.choices,
        default=CategoryBasis.EDITOR,
        help_text=_(
            "출처가 분야를 밝혔는지, 편집자가 정의에 따라 분류했는지, 가져오기가 제안해 "
            "검토를 기다리는지."
        ),
    )
    subcategory = models.ForeignKey(
        SubCategory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("세부 분야"),
        help_text=_("선택한 분야에 속한 세부 분야만 고를 수 있습니다."),
    )
    tags = models.ManyToManyField(
        Tag,
        blank=True,
        related_name="services",
        verbose_name=_("태그"),
        help_text=_("쓰는 기술(IoT, CCTV, 드론 …)과 대상(어린이, 고령자 …)."),
    )
    status = models.CharField(
        _("상태"), max_length=10, choices=Status.choices, default=Status.PLANNED
    )
    source_url = WebAddressField(_("출처 URL"), max_length=500, blank=True)
    source_page = models.CharField(
        _("문서 쪽"),
        max_length=20,
        blank=True,
        help_text=_("계획 문서에서 서비스가 실린 쪽(예: 145, 145–147)."),
    )
    source_note = models.TextField(
        _("출처 메모"), blank=True, help_text=_("보도 매체와 날짜, 인용한 문헌 등 근거 설명.")
    )
    is_published = models.BooleanField(
        _("공개"), default=False, help_text=_("공개된 서비스만 공개 화면·내보내기·분석에 나옵니다.")
    )
    published_at = models.DateTimeField(_("공개일시"), null=True, blank=True, editable=False)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        verbose_name=_("공개한 사람"),
    )
    created_at = models.DateTimeField(_("등록일시"), auto_now_add=True)
    updated_at = models.DateTimeField(_("수정일시"), auto_now=True)
    # Derived from name and description on every save (see catalog.search).
    search_name = models.TextField(editable=False, default="")
    search_text = models.TextField(editable=False, default="")
    search_bigrams = models.TextField(editable=False, default="")

    objects = ServiceQuerySet.as_manager()
    history = HistoricalRecords(
        m2m_fields=[tags],
        excluded_fields=["version", "search_name", "search_text", "search_bigrams"],
        verbose_name=_("서비스 기록"),
    )

    class Meta:
        verbose_name = _("서비스")
        verbose_name_plural = _("서비스")
        ordering = ["name", "id"]
        constraints = [
            not_blank("name", "service"),
            one_of("status", ServiceStatus, "service"),
            one_of("category_basis", CategoryBasis, "service"),
            models.UniqueConstraint(
                fields=["plan", "name"],
                name="service_name_unique_per_plan",
                violation_error_message=_("이 계획에 같은 이름의 서비스가 이미 있습니다."),
            ),
            models.CheckConstraint(
                condition=~Q(source_url="", source_page="", source_note=""),
                name="service_has_provenance",
                violation_error_message=_("출처 URL, 문서 쪽, 출처 메모 중 하나는 적어야 합니다."),
            ),
        ]
        permissions = [
            ("publish_service", _("서비스를 공개하거나 내릴 수 있음")),
        ]
        indexes = [
            models.Index(fields=["is_published", "category"], name="service_published_cat_idx"),
            models.Index(fields=["-created_at"], name="service_created_idx"),
            # The default browse order: a page of published services is an index range.
            models.Index(
                fields=["name", "id"],
                condition=Q(is_published=True),
                name="service_published_name_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.refresh_search_fields()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name", "description"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, *search.SEARCH_FIELDS}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("catalog:service-detail", args=[self.pk])

    def natural_key(self) -> tuple[str, str, str]:
        return (*self.plan.natural_key(), self.name)

    natural_key.dependencies = ["catalog.plan", "catalog.category", "catalog.tag"]

    def refresh_search_fields(self) -> None:
        for field, value in search.document_fields(self.name, self.description).items():
            setattr(self, field, value)

    def clean(self) -> None:
        super().clean()
        # Repeats the service_has_provenance constraint for forms that show only some of
        # the three fields (the constraint is then skipped by form validation).
        if not (self.source_url or self.source_page or self.source_note):
            raise ValidationError(_("출처 URL, 문서 쪽, 출처 메모 중 하나는 적어야 합니다."))
        if (
            self.subcategory_id
            and self.category_id
            and self.subcategory.category_id != self.category_id
        ):
            raise ValidationError({"subcategory": _("세부 분야가 선택한 분야에 속하지 않습니다.")})

    @property
    def municipality(self) -> Municipality:
        return self.plan.municipality


class CatalogRevision(models.Model):
    """A number that moves on every change to the catalog's public data.

    Figures derived from the whole catalog (facet counts, national shares, the analysis) are
    cached under it, so that every server process sees a change at once without re-counting
    on every request. It lives in the database because processes do not share memory.
    """

    number = models.PositiveBigIntegerField(_("번호"), default=0)
    changed_at = models.DateTimeField(_("변경일시"), auto_now=True)

    class Meta:
        verbose_name = _("카탈로그 판")
        verbose_name_plural = _("카탈로그 판")

    def __str__(self) -> str:
        return str(self.number)


class EditorAssignment(models.Model):
    """A municipality whose plans and services an editor may see and change.

    Users with the ``catalog.edit_all_municipalities`` permission (reviewers, administrators)
    are not limited; everyone else on the staff works only on their assigned municipalities.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="municipality_assignments",
        verbose_name=_("사용자"),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="editor_assignments",
        verbose_name=_("자치단체"),
    )

    class Meta:
        verbose_name = _("담당 자치단체")
        verbose_name_plural = _("담당 자치단체")
        ordering = ["user", "municipality__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "municipality"], name="editor_assignment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.municipality}"


class StagedImport(models.Model):
    """An uploaded spreadsheet kept on the server between its preview and its confirmation.

    The confirming request names it by ``token`` and reads it again, so the browser never
    sends the file twice, whatever its size. Only its uploader may confirm it, before
    ``expires_at``; expired uploads are removed whenever a new one is staged.
    """

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("사용자"),
    )
    plan = models.ForeignKey(
        Plan,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("계획"),
    )
    filename = models.CharField(_("파일 이름"), max_length=255)
    content = models.BinaryField(_("내용"))
    create_plans = models.BooleanField(_("새 계획 만들기"), default=False)
    created_at = models.DateTimeField(_("올린 때"), auto_now_add=True)
    expires_at = models.DateTimeField(_("만료"), db_index=True)

    class Meta:
        verbose_name = _("가져오기 대기 파일")
        verbose_name_plural = _("가져오기 대기 파일")

    def __str__(self) -> str:
        return self.filename
