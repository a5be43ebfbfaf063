"""Stage 3, validate: a row's cells to the values a service would get, every problem noted.

Each function takes the preparer (``p``: its ``cell``, ``error``, ``warn`` and ``refs``), the
row's result and the row; nothing here queries the database.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _

from catalog.importing.columns import COLUMN_BY_KEY, SOURCE_KEYS
from catalog.importing.hints import nearest
from catalog.models import EARLIEST_PLAN_YEAR, LARGEST_ID, LATEST_PLAN_YEAR, PlanKind, Service
from catalog.spreadsheets import restore

URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'，、;]+", re.IGNORECASE)
URL_TRAILING_PUNCTUATION = ".,;:)]}>"
YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")
TAG_SEPARATORS = re.compile(r"[;,；，、]")


def clean_cell(value: str, *, guarded: bool) -> str:
    """A cell's text without surrounding spaces and, in a file whose cells an export guards
    against formulas (CSV), without that guard."""
    value = value.strip()
    return restore(value).strip() if guarded else value


def parse_id(raw: str) -> int | None:
    """A service number as typed (``12``, or ``12.0`` from a spreadsheet), or ``None``."""
    match = re.fullmatch(r"0*([0-9]{1,19})(?:\.0+)?", raw)
    return int(match[1]) if match and 0 < int(match[1]) <= LARGEST_ID else None


def split_source(text: str) -> tuple[str, str]:
    """A 출처 cell as (source URL, source note).

    The first http(s) address is the URL. A cell that holds more than that address is kept whole
    as the note, so nothing typed is lost (``https://… (매일신문 2023-04-13); https://…``); a cell
    without an address is all note. A bare address without its scheme (``www.x.go.kr/a``) is a
    URL with https assumed.
    """
    text = text.strip()
    if not text:
        return "", ""
    is_one_address = " " not in text and text.lower().startswith(("http://", "https://"))
    if is_one_address and check_url(text) is None:
        return text, ""  # one address, whatever it holds (;jsessionid=…, a final '.')
    match = URL_IN_TEXT.search(text)
    if match is None:
        if " " not in text and "." in text and not text.startswith("."):
            return f"https://{text}", ""
        return "", text
    url = match.group(0)
    opened, closed = url.count("("), url.count(")")
    end = len(url)
    while end and url[end - 1] in URL_TRAILING_PUNCTUATION:
        if url[end - 1] == ")":
            if opened >= closed:
                break  # a bracket that belongs to the address
            closed -= 1
        end -= 1
    url = url[:end]
    return url, ("" if text == url else text)


def check_url(url: str) -> str | None:
    """``None`` when ``url`` is a valid web address, else the reason."""
    limit = Service._meta.get_field("source_url").max_length
    if len(url) > limit:
        return _("주소는 %(limit)d자까지 쓸 수 있는데 %(length)d자입니다.") % {
            "limit": limit,
            "length": len(url),
        }
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return _("올바른 URL이 아닙니다: '%(value)s'.") % {"value": url}
    return None


def parse_years(text: str) -> tuple[int | None, int | None, str]:
    """``2020`` → (2020, None); ``2019~2023``, ``2019-2023년`` → (2019, 2023); the third item is
    an error message, empty when the cell reads."""
    years = [int(y) for y in YEAR.findall(text)]
    leftover = YEAR.sub("", text)
    if not years or len(years) > 2 or re.search(r"\d", leftover):
        return (
            None,
            None,
            _("연도를 읽을 수 없습니다: '%(value)s'. 2020이나 2019~2023처럼 적으세요.")
            % {"value": text},
        )
    for year in years:
        if not EARLIEST_PLAN_YEAR <= year <= LATEST_PLAN_YEAR:
            return (
                None,
                None,
                _("연도는 %(first)d~%(last)d 사이여야 합니다: %(year)d.")
                % {
                    "first": EARLIEST_PLAN_YEAR,
                    "last": LATEST_PLAN_YEAR,
                    "year": year,
                },
            )
    start, end = years[0], (years[1] if len(years) == 2 else None)
    if end is not None and start > end:
        return None, None, _("시작 연도가 종료 연도보다 늦습니다: '%(value)s'.") % {"value": text}
    return start, end, ""


def check_length(p, row, key: str, value: str) -> bool:
    limit = Service._meta.get_field(COLUMN_BY_KEY[key].field).max_length
    if limit and len(value) > limit:
        p.error(
            row,
            key,
            _("%(limit)d자까지 쓸 수 있는데 %(length)d자입니다.")
            % {"limit": limit, "length": len(value)},
        )
        return False
    return True


# --- a service's values --------------------------------------------------------------------------


def read_values(p, row, table_row) -> None:
    """Fill ``row.values`` (and ``row.tags``) from the row's cells."""
    creating = row.service is None
    values = row.values
    if "name" in p.columns:
        if not row.name:
            p.error(row, "name", _("서비스명이 비어 있습니다."))
        elif check_length(p, row, "name", row.name):
            values["name"] = row.name
    description = p.cell(table_row, "description")
    if description is not None:
        values["description"] = description
    elif creating:
        values["description"] = ""
    category = _read_category(p, row, table_row, creating)
    _read_subcategory(p, row, table_row, category, creating)
    _read_status(p, row, table_row, creating)
    _read_tags(p, row, table_row, creating)
    _read_sources(p, row, table_row, creating)


def _read_category(p, row, table_row, creating: bool):
    raw = p.cell(table_row, "category")
    basis_raw = p.cell(table_row, "category_basis")
    basis = None
    if basis_raw:
        basis = p.refs.basis(basis_raw)
        if basis is None:
            names = ", ".join(p.refs.basis_labels.values())
            p.error(
                row,
                "category_basis",
                _("알 수 없는 분야 근거 '%(value)s'입니다. %(names)s 중 하나를 쓰세요.")
                % {"value": basis_raw, "names": names}
                + nearest(basis_raw, p.refs.basis_labels.values()),
            )
    if not raw:
        implied = _category_of_subcategory(p, table_row)
        if implied is not None:  # the sub-group names its field
            row.values["category"] = implied
            row.values["category_basis"] = basis or Service.CategoryBasis.EDITOR
            return implied
        if basis and basis != Service.CategoryBasis.SUGGESTED:
            p.error(
                row,
                "category_basis",
                _("분야 근거를 적은 행에는 분야도 적으세요."),
            )
        elif creating:
            row.values["category_basis"] = Service.CategoryBasis.SUGGESTED
            p.needs_suggestion.append(row)  # filled in for all such rows at once
        return None
    category = p.refs.category(raw)
    if category is None:
        p.error(row, "category", p.refs.unknown_category(raw))
        return None
    row.values["category"] = category
    if basis:
        row.values["category_basis"] = basis
    elif creating or row.service.category_id != category.pk:
        row.values["category_basis"] = Service.CategoryBasis.EDITOR
    return category


def _category_of_subcategory(p, table_row):
    """The field a row's 세부분야 belongs to, when the name is of one sub-group only."""
    raw = p.cell(table_row, "subcategory")
    candidates = p.refs.subcategories_named(raw) if raw else []
    return candidates[0].category if len(candidates) == 1 else None


def _read_subcategory(p, row, table_row, category, creating: bool) -> None:
    raw = p.cell(table_row, "subcategory")
    if raw is None:
        if creating:
            row.values["subcategory"] = None
        return
    if not raw:
        row.values["subcategory"] = None
        return
    if category is None and row.service is not None and "category" not in row.values:
        category = row.service.category
    candidates = p.refs.subcategories_named(raw)
    if category is not None:
        for sub in candidates:
            if sub.category_id == category.pk:
                row.values["subcategory"] = sub
                return
    if candidates and category is not None:
        p.error(
            row,
            "subcategory",
            _(
                "세부 분야 '%(value)s': '%(owner)s' 분야의 세부 분야라서 '%(category)s' 분야 "
                "서비스에 쓸 수 없습니다."
            )
            % {"value": raw, "owner": candidates[0].category.name, "category": category.name},
        )
    elif not candidates:
        own = [s.name for s in p.refs.subcategories if category and s.category_id == category.pk]
        if own:
            hint = _("'%(category)s' 분야의 세부 분야: %(names)s.") % {
                "category": category.name,
                "names": ", ".join(own),
            }
        elif category is not None:
            hint = _("이 분야에는 세부 분야가 없습니다.")
        else:
            hint = _("쓸 수 있는 세부 분야: %(names)s.") % {"names": p.refs.subcategory_names()}
        names = [sub.name for sub in p.refs.subcategories]
        p.error(
            row,
            "subcategory",
            _("알 수 없는 세부 분야 '%(value)s'입니다.") % {"value": raw}
            + " "
            + hint
            + nearest(raw, names),
        )


def _read_status(p, row, table_row, creating: bool) -> None:
    raw = p.cell(table_row, "status")
    if raw is None:
        if creating:
            row.values["status"] = Service.Status.PLANNED
    elif not raw:
        row.values["status"] = Service.Status.PLANNED
    elif (status := p.refs.status(raw)) is not None:
        row.values["status"] = status
    else:
        p.error(
            row,
            "status",
            _("알 수 없는 상태 '%(value)s'입니다. %(names)s 중 하나를 쓰세요.")
            % {"value": raw, "names": p.refs.status_names()}
            + nearest(raw, p.refs.status_labels.values()),
        )


def _read_tags(p, row, table_row, creating: bool) -> None:
    raw = p.cell(table_row, "tags")
    if raw is None:
        if creating:
            row.tags = []
        return
    tags, unknown = [], []
    for part in TAG_SEPARATORS.split(raw):
        name = part.strip()
        if not name:
            continue
        tag = p.refs.tag(name)
        if tag is None:
            unknown.append(name)
        elif tag not in tags:
            tags.append(tag)
    if unknown:
        names = [tag.name for tag in p.refs.tags]
        p.error(
            row,
            "tags",
            _("알 수 없는 태그입니다: %(unknown)s. 쓸 수 있는 태그: %(names)s.")
            % {"unknown": ", ".join(f"'{name}'" for name in unknown), "names": p.refs.tag_names()}
            + "".join(nearest(name, names) for name in unknown),
        )
        return
    row.tags = tags


def _read_sources(p, row, table_row, creating: bool) -> None:
    values = row.values
    url_cell = p.cell(table_row, "source_url")
    note_cell = p.cell(table_row, "source_note")
    page_cell = p.cell(table_row, "source_page")
    if url_cell is not None:
        url, note = split_source(url_cell)
        problem = check_url(url) if url else None
        if problem:
            p.error(row, "source_url", problem)
        else:
            values["source_url"] = url
        if note:  # the cell held more than an address: keep all of it
            note_cell = "\n".join(filter(None, [note_cell, note])) if note_cell else note
    elif creating:
        values["source_url"] = ""
    if note_cell is not None:
        values["source_note"] = note_cell
    elif creating:
        values["source_note"] = ""
    if page_cell is not None:
        if check_length(p, row, "source_page", page_cell):
            values["source_page"] = page_cell
    elif creating:
        values["source_page"] = ""
    effective = [values.get(key, getattr(row.service, key, "")) for key in SOURCE_KEYS]
    source_columns = {p.label(key) for key in SOURCE_KEYS}
    if not any(effective) and not any(issue.column in source_columns for issue in row.errors):
        key = next((key for key in SOURCE_KEYS if key in p.columns), "source_url")
        p.error(row, key, _("출처 URL, 문서 쪽, 출처 메모 중 하나는 적어야 합니다."))


# --- a new plan's values -------------------------------------------------------------------------


def plan_values(p, row, table_row) -> dict:
    """The plan columns of a row as Plan field values; problems are the row's errors."""
    values: dict = {}
    raw = p.cell(table_row, "plan_kind")
    if raw:
        kind = p.refs.plan_kind(raw)
        if kind is None:
            p.error(
                row,
                "plan_kind",
                _("알 수 없는 계획 종류 '%(value)s'입니다. %(names)s 중 하나를 쓰세요.")
                % {"value": raw, "names": p.refs.plan_kind_names()}
                + nearest(raw, [str(label) for _value, label in PlanKind.choices]),
            )
        else:
            values["kind"] = kind
    for key, both in (("plan_year", True), ("plan_start_year", False), ("plan_end_year", False)):
        raw = p.cell(table_row, key)
        if not raw:
            continue
        start, end, problem = parse_years(raw)
        if problem or (not both and end is not None):
            p.error(row, key, problem or _("연도 하나만 적으세요: '%(value)s'.") % {"value": raw})
        elif key == "plan_year":
            values.setdefault("start_year", start)
            if end is not None:
                values.setdefault("end_year", end)
        else:
            values["start_year" if key == "plan_start_year" else "end_year"] = start
    if (
        values.get("start_year")
        and values.get("end_year")
        and values["start_year"] > values["end_year"]
    ):
        p.error(row, "plan_end_year", _("시작 연도는 종료 연도보다 늦을 수 없습니다."))
    raw = p.cell(table_row, "plan_source")
    if raw:
        url, note = split_source(raw)
        problem = check_url(url) if url else None
        if problem:
            p.error(row, "plan_source", problem)
        elif url:
            is_document = url.lower().split("?")[0].endswith((".pdf", ".hwp", ".hwpx"))
            values["document_url" if is_document else "source_url"] = url
        if note:
            values["note"] = note
    return values


PLAN_FIELD_KEYS = {
    "kind": "plan_kind",
    "start_year": "plan_start_year",
    "end_year": "plan_end_year",
    "document_url": "plan_source",
    "source_url": "plan_source",
    "note": "plan_source",
}


def plan_value_display(field_name: str, value) -> str:
    if field_name == "kind":
        return str(PlanKind(value).label)
    return "" if value is None else str(value)
