"""What an import would do: the preview's rows, issues and changes, shared by every stage."""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Plan, Service, Tag

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"
ACTIONS = (CREATE, UPDATE, UNCHANGED, ERROR)
ACTION_LABELS = {
    CREATE: gettext_lazy("새로 만듦"),
    UPDATE: gettext_lazy("고침"),
    UNCHANGED: gettext_lazy("그대로"),
    ERROR: gettext_lazy("오류"),
}
# What each count of the preview's summary counts.
COUNT_LABELS = {
    CREATE: gettext_lazy("새로 만들 서비스"),
    UPDATE: gettext_lazy("고칠 서비스"),
    UNCHANGED: gettext_lazy("그대로 둘 서비스"),
    ERROR: gettext_lazy("오류가 있는 행"),
}


@dataclass(frozen=True)
class Issue:
    """An error or warning: where (row and column header as in the file) and what."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.row is None:
            return self.message
        if self.column is None:
            return _("%(row)d행: %(message)s") % {"row": self.row, "message": self.message}
        return _("%(row)d행 '%(column)s': %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass(frozen=True)
class Change:
    """One field an import sets, as text for display: ``old`` is empty for a new service."""

    field: str
    label: str
    old: str
    new: str

    def __str__(self) -> str:
        return f"{self.label}: {self.old or '—'} → {self.new or '—'}"


@dataclass(frozen=True)
class SuggestedCategory:
    """The field suggested for a row whose 분야 was empty, and the runner-up."""

    category: object  # Category
    confidence: float
    alternative: object | None  # Category
    alternative_confidence: float


@dataclass
class NewPlan:
    """A plan the file names that does not exist yet: created by ``apply`` when allowed."""

    plan: Plan  # unsaved
    first_row: int
    rows: list[int] = field(default_factory=list)
    given: set[str] = field(default_factory=set)  # fields the file stated (not inferred)
    errors: list[Issue] = field(default_factory=list)


@dataclass
class RowResult:
    number: int
    name: str = ""
    action: str = ERROR
    plan: Plan | None = None  # an existing plan, or the unsaved plan of a NewPlan
    service: Service | None = None  # the existing service an update or unchanged row matched
    matched_by: str = ""  # "id" or "name" when it matched a service
    values: dict = field(default_factory=dict)  # Service field -> value to write
    tags: list[Tag] | None = None  # None: the file has no 태그 column, leave tags alone
    suggestion: SuggestedCategory | None = None
    lookalikes: list = field(default_factory=list)  # catalog.lookalikes.Lookalike
    changes: list[Change] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def action_label(self) -> str:
        return ACTION_LABELS[self.action]

    @property
    def plan_key(self) -> tuple[str, str] | None:
        if self.plan is None:
            return None
        return (self.plan.municipality.code, self.plan.title)


@dataclass
class ImportPreview:
    """What an import would do, row by row; ``apply`` writes it."""

    filename: str
    plan: Plan | None
    rows: list[RowResult]
    file_errors: list[Issue] = field(default_factory=list)
    file_warnings: list[Issue] = field(default_factory=list)
    new_plans: list[NewPlan] = field(default_factory=list)
    applied: bool = False

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ACTIONS, 0)
        for row in self.rows:
            counts[row.action] += 1
        return counts

    @property
    def suggested_rows(self) -> list[RowResult]:
        return [row for row in self.rows if row.suggestion is not None]

    @property
    def errors(self) -> list[Issue]:
        plan_errors = [issue for new in self.new_plans for issue in new.errors]
        return self.file_errors + plan_errors + [i for row in self.rows for i in row.errors]

    @property
    def warnings(self) -> list[Issue]:
        return self.file_warnings + [issue for row in self.rows for issue in row.warnings]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors)

    def rows_to_show(self, limit: int) -> list[RowResult]:
        """The first ``limit`` rows, and after them every row with an error, in file order:
        what a page can show of a file of thousands of rows without hiding a problem."""
        return [row for index, row in enumerate(self.rows) if index < limit or row.errors]

    def rows_to(self, action: str) -> list[RowResult]:
        return [row for row in self.rows if row.action == action]

    def error_lines(self) -> list[str]:
        return [str(issue) for issue in self.errors]

    def warning_lines(self) -> list[str]:
        return [str(issue) for issue in self.warnings]

    def summary(self) -> list[tuple[str, str, int]]:
        """(action, what its count counts in the active language, rows) for each action, for
        the admin's preview."""
        counts = self.counts
        return [(action, COUNT_LABELS[action], counts[action]) for action in ACTIONS]

    def summary_lines(self) -> list[str]:
        """The same in both languages, for the command line."""
        counts = self.counts
        lines = []
        if self.new_plans:
            lines.append(f"새 계획 / plans to create: {len(self.new_plans)}")
        lines += [
            f"새로 만듦 / to create: {counts[CREATE]}",
            f"고침 / to update: {counts[UPDATE]}",
            f"그대로 / unchanged: {counts[UNCHANGED]}",
            f"오류 행 / rows with errors: {counts[ERROR]}",
        ]
        if self.suggested_rows:
            lines.append(f"분야 제안 / suggested fields (to review): {len(self.suggested_rows)}")
        alike = sum(1 for row in self.rows if row.lookalikes)
        if alike:
            lines.append(f"다른 자치단체에 같은 아이디어 / same idea elsewhere: {alike} (-v 2)")
        return lines
