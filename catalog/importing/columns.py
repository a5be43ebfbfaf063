"""The import layout: every column a file may carry, the headers it is known by, and where its
value goes. Exports and the template write the first header of each column."""

from dataclasses import dataclass

from catalog.text import compact


@dataclass(frozen=True)
class Column:
    """One column of the layout: its key, the header files carry and the model field it sets."""

    key: str
    header: str  # written by exports and the template
    aliases: tuple[str, ...] = ()
    field: str | None = None  # the Service field, for service columns

    @property
    def accepted_headers(self) -> tuple[str, ...]:
        return (self.header, *self.aliases, self.key)


COLUMNS: tuple[Column, ...] = (
    Column("id", "id", ("번호", "서비스 번호", "service_id")),
    Column("sido", "시·도", ("시도", "광역자치단체", "광역시도", "sido_name")),
    Column(
        "municipality",
        "자치단체",
        ("자치단체명", "지자체", "지방자치단체", "시군구", "기초자치단체", "municipality_name"),
    ),
    Column("municipality_code", "자치단체코드", ("행정구역코드",)),
    Column("plan_title", "계획명", ("계획 이름",)),
    Column("plan_kind", "계획종류", ("계획 종류",)),
    Column("plan_year", "계획연도", ("계획 연도", "연도")),
    Column("plan_start_year", "시작연도", ()),
    Column("plan_end_year", "종료연도", ()),
    Column("plan_source", "계획 출처", ("계획 문서", "plan_url")),
    Column("name", "서비스명", ("서비스 이름", "service_name"), "name"),
    Column("description", "설명", (), "description"),
    Column("category", "분야", ("category_name",), "category"),
    Column("category_basis", "분야 근거", (), "category_basis"),
    Column("subcategory", "세부분야", ("subcategory_name",), "subcategory"),
    Column("status", "상태", (), "status"),
    Column("tags", "태그", (), "tags"),
    Column("source_url", "출처 URL", ("출처",), "source_url"),
    Column("source_page", "문서 쪽", ("쪽",), "source_page"),
    Column("source_note", "출처 메모", ("비고",), "source_note"),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
COLUMN_BY_FIELD = {column.field: column for column in COLUMNS if column.field}

# What exports of a plan's services and the template write: one row per service.
EXPORT_KEYS: tuple[str, ...] = (
    "id",
    "municipality_code",
    "plan_title",
    "plan_kind",
    "plan_year",
    "name",
    "description",
    "category",
    "category_basis",
    "subcategory",
    "status",
    "tags",
    "source_url",
    "source_page",
    "source_note",
)
TEMPLATE: tuple[str, ...] = tuple(COLUMN_BY_KEY[key].header for key in EXPORT_KEYS)
# The template's example row is named so; a row of that name is never imported.
EXAMPLE_NAME = "(예시) 스마트 버스정류장 - 이 행은 가져오지 않습니다"
# A researcher's file names its plans and municipalities in these columns.
WHERE_KEYS = ("sido", "municipality", "municipality_code")
SOURCE_KEYS = ("source_url", "source_page", "source_note")
TEXT_FIELDS = ("name", "description", "source_url", "source_page", "source_note")
COMPARED_FIELDS = (
    "name",
    "description",
    "category",
    "category_basis",
    "subcategory",
    "status",
    *SOURCE_KEYS,
)


def header_key(text: str) -> str:
    """How a header is matched: case, spaces and punctuation ignored (시·도 = 시도 = SIDO)."""
    return compact(text)


def _header_index() -> dict[str, Column]:
    index: dict[str, Column] = {}
    for column in COLUMNS:
        for header in column.accepted_headers:
            if index.setdefault(header_key(header), column) is not column:
                raise ValueError(f"header {header!r} names two columns")
    return index


HEADER_INDEX = _header_index()
