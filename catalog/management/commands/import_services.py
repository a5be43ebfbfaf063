"""``manage.py import_services FILE [--plan PLAN] [--create-plans] [--publish] [--dry-run]``.

Loads services from a spreadsheet: one plan's table, or a researcher's file of many
municipalities and plans. The columns are described in the README and ``catalog.importing``.
Every row is checked first; when any row has an error the command lists every error and
writes nothing (exit status 1).
"""

import re
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from catalog.importing import ImportFileError, ImportRefused, apply, prepare, read_table
from catalog.models import Plan
from catalog.municipalities import MunicipalityResolver


class Command(BaseCommand):
    help = (
        "Import services from a CSV or XLSX file, all rows or none: one plan's table (--plan) "
        "or a file whose rows name their municipality (code or name) and plan. New services "
        "are unpublished drafts unless --publish; rows matched by id or by plan and name are "
        "updated; an empty 분야 is suggested and marked for review. "
        "서비스를 CSV·XLSX 파일에서 가져옵니다(오류가 하나라도 있으면 아무것도 쓰지 않음)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV (UTF-8 or CP949/EUC-KR) or XLSX file.")
        parser.add_argument(
            "--plan",
            help=(
                "Import every row into this plan: its id, or CODE:TITLE "
                "(e.g. '41280:고양시 스마트도시계획'). Without it, each row names its plan in "
                "the 자치단체코드 and 계획명 columns."
            ),
        )
        parser.add_argument(
            "--create-plans",
            action="store_true",
            help=(
                "Create the plans the file names that do not exist yet, with the kind, years "
                "and source its 계획종류, 계획연도/시작연도/종료연도 and 계획 출처 columns give."
            ),
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help=(
                "Publish every service of the file (for administrators loading vetted data); "
                "who and when are recorded as by the admin's publish action."
            ),
        )
        parser.add_argument(
            "--user",
            help="Username recorded as the author (and publisher) in the change history.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report what would change, writing nothing.",
        )

    def handle(self, *args, **options):
        path = Path(options["file"])
        dry_run = options["dry_run"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                f"파일을 읽을 수 없습니다 / cannot read {path}: {exc.strerror}"
            ) from exc
        try:
            table = read_table(data, path.name)
        except ImportFileError as exc:
            raise CommandError(str(exc)) from exc
        plan = find_plan(options["plan"]) if options["plan"] else None
        user = find_user(options["user"]) if options["user"] else None
        if plan is not None and options["create_plans"]:
            raise CommandError(
                "--plan과 --create-plans는 함께 쓸 수 없습니다 / --plan and --create-plans "
                "cannot be combined."
            )

        # Look-alikes are for reading: a preview, or a listing of every row.
        show_lookalikes = dry_run or options["verbosity"] >= 2
        preview = prepare(
            table, plan=plan, create_plans=options["create_plans"], lookalikes=show_lookalikes
        )
        encoding = f", {table.encoding}" if table.encoding else ""
        self.stdout.write(
            f"파일 / file: {path.name} ({table.file_format}{encoding}, {len(table.rows)}행 / rows)"
        )
        if plan is not None:
            self.stdout.write(f"계획 / plan: {plan} (id {plan.pk})")
        for new in preview.new_plans:
            self.stdout.write(
                f"새 계획 / new plan: {new.plan.municipality} ({new.plan.municipality.code}) "
                f"· {new.plan.title} · {new.plan.get_kind_display()} {new.plan.period}".rstrip()
            )
        for line in preview.summary_lines():
            self.stdout.write(line)
        for line in preview.warning_lines():
            self.stdout.write(self.style.WARNING(f"경고 / warning: {line}"))
        if options["verbosity"] >= 2:
            self._write_rows(preview)
        if preview.has_errors:
            errors = preview.error_lines()
            for line in errors:
                self.stderr.write(line)
            raise CommandError(
                f"오류 {len(errors)}건: 아무것도 쓰지 않았습니다 / "
                f"{len(errors)} error(s): nothing was written."
            )
        if dry_run:
            self.stdout.write(
                self.style.WARNING(
                    "시험 실행: 아무것도 쓰지 않았습니다 / Dry run: nothing was written."
                )
            )
            return
        try:
            result = apply(preview, user=user, publish=options["publish"])
        except ImportRefused as exc:
            for line in exc.lines:
                self.stderr.write(line)
            raise CommandError("아무것도 쓰지 않았습니다 / nothing was written.") from exc
        for line in result.lines():
            self.stdout.write(line)
        if result.changed:
            self.stdout.write(self.style.SUCCESS("가져왔습니다 / Imported."))
        else:
            self.stdout.write(
                self.style.SUCCESS("바뀐 것이 없습니다 / Already up to date: nothing changed.")
            )

    def _write_rows(self, preview) -> None:
        for row in preview.rows:
            self.stdout.write(f"{row.number}행 {row.action_label} / {row.action}: {row.name}")
            for change in row.changes:
                self.stdout.write(f"    {change}")
            if row.suggestion is not None:
                alternative = row.suggestion.alternative
                self.stdout.write(
                    f"    분야 제안 / suggested: {row.suggestion.category.name_ko} "
                    f"({row.suggestion.confidence:.2f})"
                    + (f", 다음 / next: {alternative.name_ko}" if alternative else "")
                )
            for match in row.lookalikes:
                self.stdout.write(
                    f"    같은 아이디어 / same idea: {match.name} ({match.municipality_name}, "
                    f"{match.similarity:.2f})"
                )


def find_user(username: str):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"사용자를 찾을 수 없습니다 / no such user: {username}")
    return user


def find_plan(value: str) -> Plan:
    """A plan named by its id or by ``CODE:TITLE`` (a current or former code)."""
    value = value.strip()
    if re.fullmatch(r"[0-9]{1,19}", value):
        plan = Plan.objects.select_related("municipality").filter(pk=int(value)).first()
    elif re.match(r"^\d{5}:", value):
        code, title = value.split(":", 1)
        municipality = MunicipalityResolver.load().by_code(code)
        plan = (
            Plan.objects.select_related("municipality")
            .filter(municipality=municipality, title=title.strip())
            .first()
            if municipality is not None
            else None
        )
    else:
        raise CommandError(
            f"--plan은 계획 번호나 '자치단체코드:계획명'이어야 합니다 / --plan must be a plan id "
            f"or CODE:TITLE, e.g. '41280:고양시 스마트도시계획' (got {value!r})."
        )
    if plan is None:
        raise CommandError(f"계획을 찾을 수 없습니다 / no such plan: {value}")
    return plan
