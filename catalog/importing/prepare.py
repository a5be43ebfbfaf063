"""The preview: a table read (stage 1) is resolved, validated and diffed against the database
(stages 2–4) without writing anything. ``apply`` (stage 5) writes the result."""

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext as _

from analysis.duplication import Parameters
from catalog.categorize import CategorySuggester
from catalog.importing.columns import (
    COLUMN_BY_KEY,
    COLUMNS,
    EXAMPLE_NAME,
    HEADER_INDEX,
    SOURCE_KEYS,
    WHERE_KEYS,
    header_key,
)
from catalog.importing.diff import find_duplicate_rows, finish
from catalog.importing.hints import nearest
from catalog.importing.read import Table, TableRow
from catalog.importing.report import ImportPreview, Issue, RowResult, SuggestedCategory
from catalog.importing.resolve import References, match_service, resolve_plan
from catalog.importing.validate import clean_cell, parse_id, read_values
from catalog.lookalikes import find_lookalikes
from catalog.models import Municipality, Plan, Service

LOOKALIKE_LIMIT = 3
# Hints below the duplication method's resolution could not hold a cluster together: a pair
# that shares a generic word (주차공유 · 기업자원공유) is not shown as the same idea.
LOOKALIKE_MIN_SIMILARITY = Parameters().resolution


def prepare(
    table: Table,
    *,
    plan: Plan | None = None,
    allowed_municipalities: Iterable | None = None,
    create_plans: bool = False,
    lookalikes: bool = True,
) -> ImportPreview:
    """Check every row of ``table`` without writing and say what importing it would do.

    ``plan``: import every row into this plan (rows may still name its municipality and title,
    which must then agree). Without it, every row names its municipality and plan.
    ``allowed_municipalities``: Municipality objects, their codes or a queryset; rows (and
    matched services) of any other municipality are errors. ``None`` allows all.
    ``create_plans``: a plan the file names that does not exist is created (with the kind,
    years and source the file gives) instead of being an error.
    ``lookalikes``: find, for each row, published services of other municipalities that look
    like the same idea.
    """
    preparer = Preparer(table, plan, _allowed_codes(allowed_municipalities), create_plans)
    return preparer.run(lookalikes=lookalikes)


def _allowed_codes(allowed: Iterable | None) -> set[str] | None:
    if allowed is None:
        return None
    if isinstance(allowed, models.QuerySet):
        return set(allowed.values_list("code", flat=True))
    return {item.code if isinstance(item, Municipality) else str(item) for item in allowed}


def _with_related(services: models.QuerySet) -> models.QuerySet:
    return services.select_related(
        "plan__municipality", "category", "subcategory"
    ).prefetch_related("tags")


class Preparer:
    """Holds what the stages share: the mapped columns, the references, the new plans."""

    def __init__(self, table: Table, plan: Plan | None, allowed, create_plans: bool):
        self.table = table
        self.guarded = table.file_format == "csv"  # exports guard CSV cells, not XLSX cells
        self.plan = plan
        self.allowed = allowed
        self.create_plans = create_plans and plan is None
        self.columns: dict[str, tuple[int, str]] = {}  # key -> (index, header as written)
        self.file_errors: list[Issue] = []
        self.file_warnings: list[Issue] = []
        self.new_plans: dict = {}  # (municipality code, title) -> NewPlan
        self.plans_noted: set[int] = set()
        self.needs_suggestion: list[RowResult] = []
        self.service_by_id: dict[int, Service] = {}
        self._services: dict[int, dict[str, Service]] = {}

    # helpers the stages call

    def label(self, key: str) -> str:
        """The column's header as written in the file, or its standard header."""
        if key in self.columns:
            return self.columns[key][1]
        return COLUMN_BY_KEY[key].header

    def cell(self, table_row: TableRow, key: str) -> str | None:
        """The row's cleaned text in column ``key``; ``None`` when the file has no such column."""
        if key not in self.columns:
            return None
        return clean_cell(table_row.cells[self.columns[key][0]], guarded=self.guarded)

    def error(self, row: RowResult, key: str | None, message: str) -> None:
        row.errors.append(Issue(row.number, self.label(key) if key else None, message))

    def warn(self, row: RowResult, key: str | None, message: str) -> None:
        row.warnings.append(Issue(row.number, self.label(key) if key else None, message))

    def services_of(self, plan: Plan) -> dict[str, Service]:
        if plan.pk is None:
            return {}
        if plan.pk not in self._services:
            services = _with_related(Service.objects.filter(plan=plan))
            self._services[plan.pk] = {service.name: service for service in services}
        return self._services[plan.pk]

    # the run

    def run(self, *, lookalikes: bool = True) -> ImportPreview:
        self._map_columns()
        preview = ImportPreview(
            self.table.filename, self.plan, [], self.file_errors, self.file_warnings
        )
        if self.file_errors:
            return preview
        self.refs = References()
        self._preload_ids()
        for table_row in self.table.rows:
            if self.cell(table_row, "name") == EXAMPLE_NAME:
                message = _("양식의 예시 행이라 가져오지 않습니다.")
                self.file_warnings.append(Issue(table_row.number, None, message))
            elif any(self.cell(table_row, key) for key in self.columns):
                preview.rows.append(self._row(table_row))
            else:
                self.file_warnings.append(
                    Issue(table_row.number, None, _("가져오는 열이 모두 비어 있어 건너뜁니다."))
                )
        preview.new_plans = list(self.new_plans.values())
        if not preview.rows:
            message = _("가져올 행이 없습니다. 머리글 아래에 서비스를 한 행에 하나씩 적으세요.")
            self.file_errors.append(Issue(None, None, message))
            return preview
        find_duplicate_rows(self, preview.rows)
        self._suggest_categories()
        for row in preview.rows:
            finish(self, row)
        if lookalikes:
            self._find_lookalikes(preview.rows)
        return preview

    def _row(self, table_row: TableRow) -> RowResult:
        row = RowResult(table_row.number)
        if table_row.unnamed_values:
            self.warn(row, None, _("머리글이 없는 열의 값은 무시합니다."))
        for index in table_row.uncomputed:
            row.warnings.append(
                Issue(
                    row.number,
                    self.table.headers[index],
                    _(
                        "수식의 계산된 값이 파일에 없어 빈 칸으로 읽었습니다. 엑셀에서 열어 "
                        "저장한 뒤 다시 올려 주세요."
                    ),
                )
            )
        row.plan = resolve_plan(self, row, table_row)
        match_service(self, row, table_row)
        read_values(self, row, table_row)
        return row

    def _map_columns(self) -> None:
        unknown = []
        for index, header in enumerate(self.table.headers):
            if not header:
                continue
            column = HEADER_INDEX.get(header_key(header))
            if column is None:
                unknown.append(header)
            elif column.key in self.columns:
                self.file_errors.append(
                    Issue(
                        None,
                        None,
                        _(
                            "'%(first)s' 열과 '%(second)s' 열이 같은 항목(%(column)s)입니다. "
                            "하나만 남기세요."
                        )
                        % {
                            "first": self.columns[column.key][1],
                            "second": header,
                            "column": column.header,
                        },
                    )
                )
            else:
                self.columns[column.key] = (index, header)
        if unknown:
            names = ", ".join(f"'{name}'" for name in unknown)
            headers = [header for column in COLUMNS for header in column.accepted_headers]
            message = _("알 수 없는 열은 무시합니다: %(names)s.") % {"names": names}
            hints = "".join(nearest(name, headers) for name in unknown)
            self.file_warnings.append(Issue(None, None, message + hints))
        self._check_required_columns()

    def _check_required_columns(self) -> None:
        missing = []
        if "name" not in self.columns:
            missing.append(COLUMN_BY_KEY["name"].header)
        if self.plan is None:
            if not any(key in self.columns for key in WHERE_KEYS):
                missing.append(_("자치단체 또는 자치단체코드"))
            if "plan_title" not in self.columns:
                missing.append(COLUMN_BY_KEY["plan_title"].header)
        for name in missing:
            self.file_errors.append(
                Issue(None, None, _("필수 열이 없습니다: '%(column)s'.") % {"column": name})
            )
        if not any(key in self.columns for key in SOURCE_KEYS):
            self.file_warnings.append(
                Issue(
                    None,
                    None,
                    _(
                        "출처 열(출처 URL, 문서 쪽, 출처 메모)이 하나도 없습니다. 새 서비스에는 "
                        "출처가 필요합니다."
                    ),
                )
            )
        if self.plan is not None and self.allowed is not None:
            municipality = self.plan.municipality
            if municipality.code not in self.allowed:
                self.file_errors.append(
                    Issue(
                        None,
                        None,
                        _("권한이 없는 자치단체의 계획입니다: %(name)s(%(code)s).")
                        % {"name": municipality, "code": municipality.code},
                    )
                )

    def _preload_ids(self) -> None:
        ids = {parse_id(self.cell(table_row, "id") or "") for table_row in self.table.rows}
        ids.discard(None)
        if ids:
            services = _with_related(Service.objects.filter(pk__in=ids))
            self.service_by_id = {service.pk: service for service in services}

    def _suggest_categories(self) -> None:
        """An empty 분야 gets the field the catalog's suggester finds likeliest, for all such
        rows at once (one model, one vectorised pass)."""
        rows = [row for row in self.needs_suggestion if not row.errors and row.name]
        if not rows:
            return
        suggester = CategorySuggester.for_catalog()
        items = [(row.name, row.values.get("description", "")) for row in rows]
        by_code = self.refs.category_by_code
        for row, suggestion in zip(rows, suggester.suggest_many(items), strict=True):
            category = by_code[suggestion.category]
            row.values["category"] = category
            row.suggestion = SuggestedCategory(
                category,
                suggestion.confidence,
                by_code.get(suggestion.alternative) if suggestion.alternative else None,
                suggestion.alternative_confidence,
            )
        for row in self.needs_suggestion:
            if "category" not in row.values and not row.errors:
                self.error(row, "category", _("분야가 비어 있고 제안할 수도 없습니다."))

    def _find_lookalikes(self, rows: list[RowResult]) -> None:
        wanted = [row for row in rows if row.action != "error" and row.name]
        if not wanted:
            return
        entries = [(row.name, row.plan.municipality.code if row.plan else "") for row in wanted]
        for row, found in zip(wanted, find_lookalikes(entries, limit=LOOKALIKE_LIMIT), strict=True):
            own = row.service.pk if row.service is not None else None
            row.lookalikes = [
                match
                for match in found
                if match.service_id != own and match.similarity >= LOOKALIKE_MIN_SIMILARITY
            ]
