"""``manage.py import_services FILE [--plan PLAN] [--dry-run]``: load a plan's service table.

The file's columns are described in ``catalog/importing.py``. Every row is checked first; when
any row has an error the command lists every error and writes nothing (exit status 1).
"""

import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.importing import ImportFileError, ImportRefused, apply, prepare, read_table
from catalog.models import Plan


class Command(BaseCommand):
    help = (
        "Import a plan's service table from a CSV or XLSX file, all rows or none. New "
        "services are unpublished drafts; rows matched by id or by plan and name are updated. "
        "계획의 서비스 표를 CSV·XLSX 파일에서 가져옵니다(오류가 하나라도 있으면 아무것도 쓰지 "
        "않음)."
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

        preview = prepare(table, plan=plan)
        encoding = f", {table.encoding}" if table.encoding else ""
        self.stdout.write(
            f"파일 / file: {path.name} ({table.file_format}{encoding}, {len(table.rows)}행 / rows)"
        )
        if plan is not None:
            self.stdout.write(f"계획 / plan: {plan} (id {plan.pk})")
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
            result = apply(preview)
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


def find_plan(value: str) -> Plan:
    """A plan named by its id or by ``CODE:TITLE``."""
    value = value.strip()
    if value.isdigit():
        plan = Plan.objects.select_related("municipality").filter(pk=int(value)).first()
    elif re.match(r"^\d{5}:", value):
        code, title = value.split(":", 1)
        plan = (
            Plan.objects.select_related("municipality")
            .filter(municipality__code=code, title=title.strip())
            .first()
        )
    else:
        raise CommandError(
            f"--plan은 계획 번호나 '자치단체코드:계획명'이어야 합니다 / --plan must be a plan id "
            f"or CODE:TITLE, e.g. '41280:고양시 스마트도시계획' (got {value!r})."
        )
    if plan is None:
        raise CommandError(f"계획을 찾을 수 없습니다 / no such plan: {value}")
    return plan
