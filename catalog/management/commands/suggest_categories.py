"""``manage.py suggest_categories IN.csv [-o OUT.csv]``: suggest a field for every row of a CSV.

Every row is written back, in order, with all its columns, plus ``suggested_category`` (the
field's code), ``suggested_category_name`` (its Korean name), ``confidence`` (0–1) and
``alternative_category`` (the runner-up's code). Rows without a service name get empty cells.
"""

import csv
import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.categorize import CategorySuggester
from catalog.models import Category
from catalog.text import compact

ENCODINGS = ("utf-8-sig", "cp949")  # cp949 is a superset of EUC-KR
NAME_HEADERS = {compact(h) for h in ("서비스명", "서비스 이름", "name", "service_name")}
DESCRIPTION_HEADERS = {compact(h) for h in ("설명", "description")}
ADDED_COLUMNS = (
    "suggested_category",
    "suggested_category_name",
    "confidence",
    "alternative_category",
)


class Command(BaseCommand):
    help = (
        "Suggest a field (분야) for every row of a CSV of service names, from the name and the "
        "optional description. Writes every row back in order with the columns "
        "suggested_category, suggested_category_name, confidence and alternative_category "
        "added (UTF-8 with BOM, for Excel). CSV의 서비스명(과 설명)으로 분야를 제안합니다."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            help="CSV (UTF-8 with or without BOM, or CP949/EUC-KR) with a 서비스명 column "
            "(also: 서비스 이름, name, service_name) and an optional 설명 (description) column.",
        )
        parser.add_argument(
            "-o",
            "--output",
            default="-",
            help="Output CSV file; '-' (the default) writes to standard output.",
        )

    def handle(self, *args, file, output, **options):
        header, rows = read_csv(Path(file))
        name_at = column(header, NAME_HEADERS)
        if name_at is None:
            raise CommandError(
                f"{file}: '서비스명' 열이 없습니다 / no '서비스명' (name) column. "
                f"열 / columns: {', '.join(header) or '-'}"
            )
        description_at = column(header, DESCRIPTION_HEADERS)

        def cell(row, at):
            return row[at].strip() if at is not None and at < len(row) else ""

        wanted = [
            (index, cell(row, name_at), cell(row, description_at))
            for index, row in enumerate(rows)
            if cell(row, name_at)
        ]
        suggester = CategorySuggester.for_catalog()
        suggestions = suggester.suggest_many(
            [(name, description) for _, name, description in wanted]
        )
        names = dict(Category.objects.values_list("code", "name_ko"))
        added = {
            index: (
                s.category,
                names.get(s.category, ""),
                f"{s.confidence:.3f}",
                s.alternative or "",
            )
            for (index, _, _), s in zip(wanted, suggestions, strict=True)
        }

        width = len(header)
        out_header = list(header)
        positions = []
        for name in ADDED_COLUMNS:  # a column the file already has is filled, not repeated
            if name in out_header:
                positions.append(out_header.index(name))
            else:
                positions.append(len(out_header))
                out_header.append(name)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(out_header)
        for index, row in enumerate(rows):
            row = list(row) + [""] * (width - len(row))
            row = row[:width] + [""] * (len(out_header) - width) + row[width:]
            for position, value in zip(positions, added.get(index, ("",) * 4), strict=True):
                row[position] = value
            writer.writerow(row)
        self._write(buffer.getvalue(), output)
        if output != "-":
            self.stderr.write(
                f"{len(rows)}행 중 {len(wanted)}행에 분야를 제안했습니다 / suggested a field "
                f"for {len(wanted)} of {len(rows)} rows → {output}"
            )

    def _write(self, text: str, output: str) -> None:
        if output == "-":
            # Standard output stays plain UTF-8 for pipes; files carry a BOM for Excel.
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise CommandError(
                f"파일을 쓸 수 없습니다 / cannot write {output}: {exc.strerror}"
            ) from exc


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of a CSV in UTF-8 (with or without BOM) or CP949."""
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise CommandError(f"파일이 없습니다 / no such file: {path}") from exc
    except OSError as exc:
        raise CommandError(f"파일을 읽을 수 없습니다 / cannot read {path}: {exc.strerror}") from exc
    for encoding in ENCODINGS:
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CommandError(
            f"{path}: UTF-8도 CP949도 아닌 바이트가 있어 읽을 수 없습니다 / "
            "cannot decode the file: it is neither UTF-8 nor CP949 (EUC-KR) text."
        )
    try:
        table = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise CommandError(f"{path}: CSV를 읽을 수 없습니다 / not a readable CSV: {exc}") from exc
    while table and not table[0]:  # blank lines above the header
        table.pop(0)
    if not table:
        raise CommandError(f"{path}: 빈 파일입니다 / the file is empty.")
    return table[0], table[1:]


def column(header: list[str], accepted: set[str]) -> int | None:
    for index, name in enumerate(header):
        if compact(name) in accepted:
            return index
    return None
