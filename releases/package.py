"""What a release holds, column by column: the one description that both the zip's
``datapackage.json`` (a Frictionless Data Package) and its README codebook are written from.

Every table has Korean and English titles and descriptions, a type and, where the catalog
fixes them, the allowed values of each column, a primary key and the foreign keys that tie it to
the other tables. Column names and their order are those of the live exports, so a release's
``services.csv`` reads like ``/services/export/?format=csv-utf8``.
"""

from dataclasses import dataclass, field

from analysis.exporting import CLUSTER_COLUMNS, MATRIX_COLUMNS, MUNICIPALITY_COLUMNS, SHARE_COLUMNS
from catalog.exporting import COLUMNS as SERVICE_COLUMNS
from catalog.models import (
    EARLIEST_PLAN_YEAR,
    LATEST_PLAN_YEAR,
    MUNICIPALITY_CODE_PATTERN,
    CategoryBasis,
    MunicipalityLevel,
    PlanKind,
    ServiceStatus,
    TagKind,
)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a Frictionless field type
    ko: str
    en: str
    about_ko: str = ""
    about_en: str = ""
    constraints: dict = field(default_factory=dict)

    def descriptor(self) -> dict:
        described = {
            "name": self.name,
            "type": self.type,
            "title": f"{self.ko} / {self.en}",
        }
        if self.about_ko or self.about_en:
            described["description"] = f"{self.about_ko}\n\n{self.about_en}".strip()
        if self.type == "boolean":
            described.update(trueValues=["True"], falseValues=["False"])
        if self.constraints:
            described["constraints"] = self.constraints
        return described

    @property
    def allowed(self) -> list[str]:
        return self.constraints.get("enum", [])


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str  # "" for the table itself
    reference: tuple[str, ...]

    def descriptor(self) -> dict:
        return {
            "fields": list(self.fields),
            "reference": {"resource": self.resource, "fields": list(self.reference)},
        }


@dataclass(frozen=True)
class Table:
    name: str  # the resource's name; its file is data/<name>.csv
    ko: str
    en: str
    about_ko: str
    about_en: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def path(self) -> str:
        return f"data/{self.name}.csv"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    def schema(self) -> dict:
        schema = {
            "fields": [column.descriptor() for column in self.columns],
            "primaryKey": list(self.primary_key),
        }
        if self.foreign_keys:
            schema["foreignKeys"] = [key.descriptor() for key in self.foreign_keys]
        return schema


def _in_order(names: tuple[str, ...], *columns: Column) -> tuple[Column, ...]:
    """``columns`` in the order of an export's ``names``; each name described exactly once."""
    described = {column.name: column for column in columns}
    if sorted(described) != sorted(names) or len(described) != len(columns):
        raise ValueError(f"Describe exactly the columns {names}, not {tuple(described)}.")
    return tuple(described[name] for name in names)


def _required(**more) -> dict:
    return {"required": True, **more}


def _code(name: str, ko: str, en: str, about_ko: str = "", about_en: str = "", **more) -> Column:
    """A five-digit statutory municipality code."""
    constraints = {"pattern": MUNICIPALITY_CODE_PATTERN.strip("^$"), **more}
    return Column(name, "string", ko, en, about_ko, about_en, constraints)


def _choice(name: str, choices, ko: str, en: str, about_ko: str, about_en: str) -> Column:
    return Column(name, "string", ko, en, about_ko, about_en, _required(enum=list(choices.values)))


_YEAR = {"minimum": EARLIEST_PLAN_YEAR, "maximum": LATEST_PLAN_YEAR}
_PERCENT = {"minimum": 0, "maximum": 100}
_COUNT = {"minimum": 0}

SERVICE_ID = Column(
    "service_id",
    "integer",
    "서비스 번호",
    "Service id",
    "카탈로그의 서비스 번호. 서비스 화면은 /services/<번호>/ 입니다.",
    "The catalog's service id; the service's page is /services/<id>/.",
    _required(minimum=1),
)
MUNICIPALITY_CODE = _code(
    "municipality_code",
    "자치단체 코드",
    "Municipality code",
    "법정동코드 앞 5자리(시·도는 코드 뒤에 000).",
    "The 5-digit statutory code (a province's ends in 000).",
    required=True,
)
MUNICIPALITY_NAME = Column("municipality_name", "string", "자치단체 이름", "Municipality name")
SIDO_NAME = Column(
    "sido_name",
    "string",
    "시·도 이름",
    "Province name",
    "자치단체가 속한 시·도(시·도 자신은 그 이름).",
    "The province of the municipality (a province itself: its own name).",
)
CATEGORY_CODE = Column(
    "category_code",
    "string",
    "분야 코드",
    "Field code",
    "스마트도시법 시행령 제2조의 12개 분야 가운데 하나(categories 표).",
    "One of the 12 fields of the Smart City Act's decree, article 2 (table categories).",
    _required(),
)
CATEGORY_NAME = Column("category_name", "string", "분야 이름", "Field name (Korean)")
SHARE = Column(
    "share_percent",
    "number",
    "비중(%)",
    "Share (%)",
    "소수 첫째 자리까지, 반올림(0.05는 올림).",
    "Percent to one decimal, rounded half up.",
    _PERCENT,
)
PAGE_URL = Column(
    "url", "string", "카탈로그 화면", "Catalog page", "이 행의 공개 화면 주소.", "The row's page."
)
NAME_KO = Column("name_ko", "string", "이름(한국어)", "Name (Korean)", constraints=_required())
NAME_EN = Column("name_en", "string", "이름(영어)", "Name (English)", constraints=_required())
DESCRIPTION_KO = Column("description_ko", "string", "정의(한국어)", "Definition (Korean)")
DESCRIPTION_EN = Column("description_en", "string", "정의(영어)", "Definition (English)")
ORDER = Column("order", "integer", "표시 순서", "Display order", constraints=_COUNT)


SERVICE_TABLE_COLUMNS = _in_order(
    SERVICE_COLUMNS,
    SERVICE_ID,
    Column("service_name", "string", "서비스명", "Service name", constraints=_required()),
    Column("description", "string", "설명", "Description"),
    CATEGORY_CODE,
    CATEGORY_NAME,
    _choice(
        "category_basis",
        CategoryBasis,
        "분야 근거",
        "Field basis",
        "source: 출처가 분야를 밝힘, editor: 편집자가 정의에 따라 분류(또는 제안을 확인), "
        "suggested: 가져오기가 제안해 검토를 기다림.",
        "source: the source states the field; editor: assigned by the definitions (or a "
        "suggestion a reviewer confirmed); suggested: suggested at import, awaiting review.",
    ),
    Column("subcategory_code", "string", "세부 분야 코드", "Sub-field code"),
    Column("subcategory_name", "string", "세부 분야 이름", "Sub-field name (Korean)"),
    MUNICIPALITY_CODE,
    MUNICIPALITY_NAME,
    _code("sido_code", "시·도 코드", "Province code", required=True),
    SIDO_NAME,
    Column(
        "plan_title",
        "string",
        "계획명",
        "Plan title",
        "서비스가 실린 계획(plans 표). 자치단체 안에서 유일합니다.",
        "The plan listing the service (table plans); unique within its municipality.",
        _required(),
    ),
    _choice(
        "plan_kind",
        PlanKind,
        "계획 종류",
        "Plan kind",
        "스마트도시계획, 조성사업, 챌린지, 솔루션 확산사업, 기타.",
        "Master plan, development project, challenge, solution roll-out, other.",
    ),
    Column("plan_start_year", "integer", "계획 시작 연도", "Plan start year", constraints=_YEAR),
    Column("plan_end_year", "integer", "계획 종료 연도", "Plan end year", constraints=_YEAR),
    _choice(
        "status",
        ServiceStatus,
        "상태",
        "Status",
        "계획, 구축, 운영, 중단.",
        "Planned, built, operating, suspended.",
    ),
    Column(
        "tags",
        "string",
        "태그",
        "Tags",
        "태그 이름을 ;로 이은 것(service_tags 표에 한 행씩).",
        "Tag names separated by ';' (one row each in table service_tags).",
    ),
    Column("source_url", "string", "출처 URL", "Source URL"),
    Column("source_page", "string", "문서 쪽", "Document page"),
    Column("source_note", "string", "출처 메모", "Source note"),
    PAGE_URL,
    Column(
        "updated_at",
        "datetime",
        "마지막 수정",
        "Last changed",
        "ISO 8601, UTC.",
        "ISO 8601, UTC.",
        _required(),
    ),
)


CLUSTER_ID = Column("cluster_id", "integer", "아이디어 번호", "Idea id", constraints=_required())
CONFIRMED = Column(
    "confirmed",
    "boolean",
    "확정",
    "Confirmed",
    "담당자가 확정한 묶음이면 True.",
    "True when staff confirmed the cluster.",
)
IDEA_MUNICIPALITY_COUNT = Column(
    "municipality_count",
    "integer",
    "자치단체 수",
    "Municipalities",
    "이 아이디어를 계획한 자치단체 수(공개 서비스 기준).",
    "How many municipalities plan the idea (published services).",
    _COUNT,
)
WHY = Column(
    "why",
    "string",
    "묶은 까닭",
    "Why grouped",
    "공통어, 동의어, 배운 같음, 유사도.",
    "Shared terms, synonyms, learned equivalences, similarity (in Korean).",
)
IDEA_URL = Column("idea_url", "string", "아이디어 화면", "Idea page")

MEMBER_TABLE_COLUMNS = _in_order(
    CLUSTER_COLUMNS,
    CLUSTER_ID,
    Column("cluster_label", "string", "아이디어", "Idea"),
    CONFIRMED,
    IDEA_MUNICIPALITY_COUNT,
    SERVICE_ID,
    MUNICIPALITY_CODE,
    Column("municipality_name", "string", "자치단체", "Municipality (with province)"),
    Column("service_name", "string", "서비스명", "Service name"),
    Column(
        "similarity",
        "number",
        "유사도",
        "Similarity",
        "묶음의 다른 서비스와의 평균 유사도(0–1).",
        "Mean similarity to the other members (0–1).",
        {"minimum": 0, "maximum": 1},
    ),
    WHY,
    IDEA_URL,
)


SHARE_TABLE_COLUMNS = _in_order(
    SHARE_COLUMNS,
    CATEGORY_CODE,
    CATEGORY_NAME,
    Column("service_count", "integer", "서비스 수", "Services", constraints=_COUNT),
    SHARE,
)


MATRIX_TABLE_COLUMNS = _in_order(
    MATRIX_COLUMNS,
    MUNICIPALITY_CODE,
    MUNICIPALITY_NAME,
    SIDO_NAME,
    CATEGORY_CODE,
    CATEGORY_NAME,
    Column(
        "service_count",
        "integer",
        "서비스 수",
        "Services",
        "자치단체가 이 분야에 계획한 공개 서비스 수.",
        "The municipality's published services in the field.",
        _COUNT,
    ),
    Column(
        "share_percent",
        "number",
        "자치단체 안 비중(%)",
        "Share in the municipality (%)",
        "자치단체의 서비스 가운데 이 분야의 비중.",
        "The field's share of the municipality's services.",
        _PERCENT,
    ),
    Column(
        "national_share_percent",
        "number",
        "전국 비중(%)",
        "National share (%)",
        constraints=_PERCENT,
    ),
    Column(
        "location_quotient",
        "number",
        "입지계수",
        "Location quotient",
        "자치단체 안 비중 / 전국 비중, 소수 둘째 자리. 1보다 크면 상대적으로 많이 계획합니다.",
        "Share in the municipality / national share, to two decimals; above 1, the "
        "municipality plans relatively more of the field.",
        _COUNT,
    ),
)


DIFFERENTIATION_TABLE_COLUMNS = _in_order(
    MUNICIPALITY_COLUMNS,
    MUNICIPALITY_CODE,
    MUNICIPALITY_NAME,
    SIDO_NAME,
    Column("service_count", "integer", "공개 서비스 수", "Published services", constraints=_COUNT),
    Column(
        "shared_service_count",
        "integer",
        "중복 서비스 수",
        "Services repeated elsewhere",
        "다른 자치단체도 계획한 아이디어의 서비스 수.",
        "Services whose idea another municipality also plans.",
        _COUNT,
    ),
    Column(
        "unique_service_count",
        "integer",
        "고유 서비스 수",
        "Services found nowhere else",
        constraints=_COUNT,
    ),
    Column(
        "differentiation_index",
        "number",
        "차별화 지수(%)",
        "Differentiation index (%)",
        "공개 서비스 가운데 다른 자치단체에 없는 서비스의 비중.",
        "Share of the published services found in no other municipality.",
        _PERCENT,
    ),
)


def _to_municipality(column: str) -> ForeignKey:
    return ForeignKey((column,), "municipalities", ("code",))


def _to_category(column: str = "category_code") -> ForeignKey:
    return ForeignKey((column,), "categories", ("code",))


TABLES: tuple[Table, ...] = (
    Table(
        "municipalities",
        "자치단체",
        "Municipalities",
        "지방자치단체(시·도와 시·군·구) 모두와, 코드가 바뀐 경우 이전 코드.",
        "Every local government (provinces, and the cities, counties and districts below "
        "them), with the code each had before a change.",
        (
            _code(
                "code",
                "코드",
                "Code",
                "법정동코드 앞 5자리.",
                "5-digit statutory code.",
                required=True,
            ),
            Column("name", "string", "이름", "Name", constraints=_required()),
            _choice(
                "level",
                MunicipalityLevel,
                "종류",
                "Level",
                "시·도(sido), 시(si), 군(gun), 구(gu).",
                "Province (sido), city (si), county (gun), district (gu).",
            ),
            _code(
                "parent_code",
                "상위 시·도 코드",
                "Province code",
                "시·군·구가 속한 시·도. 시·도는 비어 있습니다.",
                "The province of a city, county or district; empty for a province.",
            ),
            _code(
                "former_code",
                "이전 코드",
                "Former code",
                "코드가 바뀌기 전 코드(강원 42xxx → 51xxx, 전북 45xxx → 52xxx, "
                "군위 47720 → 27720).",
                "The code before a change (Gangwon 42xxx → 51xxx, Jeonbuk 45xxx → 52xxx, "
                "Gunwi 47720 → 27720).",
            ),
            Column(
                "is_active",
                "boolean",
                "현행",
                "Current",
                "폐지·통합된 자치단체는 False.",
                "False for an abolished or merged local government.",
            ),
            PAGE_URL,
        ),
        ("code",),
        (ForeignKey(("parent_code",), "", ("code",)),),
    ),
    Table(
        "categories",
        "분야",
        "Fields",
        "스마트도시 서비스의 12개 법정 분야와 이 카탈로그가 쓴 정의.",
        "The 12 statutory smart-city service fields, with the definitions this catalog uses.",
        (
            Column("code", "string", "코드", "Code", constraints=_required()),
            NAME_KO,
            NAME_EN,
            DESCRIPTION_KO,
            DESCRIPTION_EN,
            ORDER,
        ),
        ("code",),
    ),
    Table(
        "subcategories",
        "세부 분야",
        "Sub-fields",
        "분야 안의 세부 분야(예: 교통의 네 갈래).",
        "Finer groups inside a field (such as the four groups of transport).",
        (
            Column("code", "string", "코드", "Code", constraints=_required()),
            Column("category_code", "string", "분야 코드", "Field code", constraints=_required()),
            NAME_KO,
            NAME_EN,
            Column("description_ko", "string", "설명(한국어)", "Description (Korean)"),
            Column("description_en", "string", "설명(영어)", "Description (English)"),
            ORDER,
        ),
        ("code",),
        (_to_category(),),
    ),
    Table(
        "tags",
        "태그",
        "Tags",
        "서비스가 쓰는 기술과 서비스의 대상.",
        "Technologies services use and the groups of people they serve.",
        (
            Column("slug", "string", "코드", "Code", constraints=_required()),
            Column("name", "string", "이름", "Name", constraints=_required()),
            _choice(
                "kind",
                TagKind,
                "종류",
                "Kind",
                "기술(technology) 또는 대상(target).",
                "Technology or target group.",
            ),
        ),
        ("slug",),
    ),
    Table(
        "plans",
        "계획",
        "Plans",
        "자치단체의 스마트도시계획과 사업. 서비스 목록 없이 알려진 계획도 있습니다.",
        "The municipalities' smart-city plans and funded projects, including those reported "
        "without a service list.",
        (
            Column("plan_id", "integer", "계획 번호", "Plan id", constraints=_required(minimum=1)),
            MUNICIPALITY_CODE,
            Column("title", "string", "계획명", "Title", constraints=_required()),
            _choice(
                "kind",
                PlanKind,
                "종류",
                "Kind",
                "스마트도시계획, 조성사업, 챌린지, 솔루션 확산사업, 기타.",
                "Master plan, development project, challenge, solution roll-out, other.",
            ),
            Column("start_year", "integer", "시작 연도", "Start year", constraints=_YEAR),
            Column("end_year", "integer", "종료 연도", "End year", constraints=_YEAR),
            Column(
                "approved_on",
                "date",
                "승인일",
                "Approved on",
                "국토교통부 승인 또는 사업 선정일.",
                "Approval by the ministry, or selection of the project.",
            ),
            Column("document_url", "string", "계획 문서 URL", "Plan document URL"),
            Column("source_url", "string", "출처 URL", "Source URL"),
            Column("note", "string", "비고", "Note"),
            PAGE_URL,
        ),
        ("plan_id",),
        (_to_municipality("municipality_code"),),
    ),
    Table(
        "services",
        "서비스",
        "Services",
        "공개된 스마트도시 서비스 하나가 한 행. /services/export/ 의 열과 같습니다.",
        "One published smart-city service a row, in the columns of /services/export/.",
        SERVICE_TABLE_COLUMNS,
        ("service_id",),
        (
            _to_category(),
            ForeignKey(("subcategory_code",), "subcategories", ("code",)),
            _to_municipality("municipality_code"),
            _to_municipality("sido_code"),
            ForeignKey(
                ("municipality_code", "plan_title"), "plans", ("municipality_code", "title")
            ),
        ),
    ),
    Table(
        "service_tags",
        "서비스의 태그",
        "Tags of services",
        "서비스와 태그의 짝 하나가 한 행.",
        "One row per service and tag.",
        (
            SERVICE_ID,
            Column("tag_slug", "string", "태그 코드", "Tag code", constraints=_required()),
        ),
        ("service_id", "tag_slug"),
        (
            ForeignKey(("service_id",), "services", ("service_id",)),
            ForeignKey(("tag_slug",), "tags", ("slug",)),
        ),
    ),
    Table(
        "ideas",
        "아이디어 묶음",
        "Idea clusters",
        "둘 이상의 자치단체가 계획한 같은 아이디어(중복 분석의 묶음) 하나가 한 행.",
        "One idea planned by two or more municipalities (a cluster of the duplication "
        "analysis) a row.",
        (
            CLUSTER_ID,
            Column("cluster_label", "string", "아이디어", "Idea", constraints=_required()),
            CONFIRMED,
            IDEA_MUNICIPALITY_COUNT,
            Column(
                "service_count",
                "integer",
                "서비스 수",
                "Services",
                "이 아이디어의 공개 서비스 수.",
                "Published services of the idea.",
                _COUNT,
            ),
            WHY,
            IDEA_URL,
        ),
        ("cluster_id",),
    ),
    Table(
        "idea_members",
        "아이디어 묶음의 서비스",
        "Services of the idea clusters",
        "아이디어 묶음에 든 공개 서비스 하나가 한 행. /analysis/export/clusters/ 의 열과 같습니다.",
        "One published service of an idea cluster a row, in the columns of "
        "/analysis/export/clusters/.",
        MEMBER_TABLE_COLUMNS,
        ("service_id",),
        (
            ForeignKey(("cluster_id",), "ideas", ("cluster_id",)),
            ForeignKey(("service_id",), "services", ("service_id",)),
            _to_municipality("municipality_code"),
        ),
    ),
    Table(
        "category_shares",
        "분야별 비중",
        "Field shares",
        "전국 공개 서비스의 분야별 수와 비중(/analysis/export/shares/).",
        "Published services per field nationwide, with shares (/analysis/export/shares/).",
        SHARE_TABLE_COLUMNS,
        ("category_code",),
        (_to_category(),),
    ),
    Table(
        "municipality_category_matrix",
        "자치단체 × 분야",
        "Municipality × field",
        "공개 서비스가 있는 자치단체마다 분야별 수, 비중, 입지계수(/analysis/export/matrix/).",
        "For each municipality with published services: services, share and location quotient "
        "per field (/analysis/export/matrix/).",
        MATRIX_TABLE_COLUMNS,
        ("municipality_code", "category_code"),
        (_to_municipality("municipality_code"), _to_category()),
    ),
    Table(
        "differentiation",
        "차별화 지수",
        "Differentiation index",
        "자치단체마다 공개 서비스 수와 다른 자치단체에 없는 서비스의 비중"
        "(/analysis/export/municipalities/).",
        "Per municipality: published services and the share found in no other municipality "
        "(/analysis/export/municipalities/).",
        DIFFERENTIATION_TABLE_COLUMNS,
        ("municipality_code",),
        (_to_municipality("municipality_code"),),
    ),
)


def table(name: str) -> Table:
    return next(table for table in TABLES if table.name == name)
