import csv
import dataclasses
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from analysis import duplication
from catalog.municipalities import MunicipalityResolver

REQUIRED_COLUMNS = ("municipality_code", "name", "concept")


class Command(BaseCommand):
    help = (
        "Score the duplication method on a labelled CSV (municipality_code, name, optional "
        "description, concept): pair precision, recall and F1 over pairs of services of "
        "different municipalities. municipality_code is a current or former 5-digit code "
        "(or a name the catalog's municipality resolver accepts); services are counted under "
        "the current code. Reads only the file; writes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV file, UTF-8 (with or without BOM).")
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
        parser.add_argument(
            "--split",
            help=(
                "Score only the rows whose split column holds this value (tune in "
                "tests/analysis/labelled_services.csv, holdout in "
                "tests/analysis/labelled_holdout.csv); without it, every row."
            ),
        )

    def handle(self, *args, file: Path, **options):
        labelled = self._read(file, options["split"])
        params = duplication.Parameters()
        scores = duplication.evaluate(labelled, params)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        **scores,
                        "split": options["split"] or "all",
                        "concepts": len({c for _, c in labelled}),
                        "lexicon_version": duplication.load_lexicon().version,
                        "parameters": dataclasses.asdict(params),
                    },
                    ensure_ascii=False,
                )
            )
            return
        pairs = scores["pairs"]
        self.stdout.write(
            f"records    {scores['records']} in {len({c for _, c in labelled})} concepts\n"
            f"clusters   {scores['clusters']}\n"
            f"pairs      {pairs['true']} true, {pairs['predicted']} predicted, "
            f"{pairs['correct']} correct (different municipalities only)\n"
            f"precision  {scores['precision']:.3f}\n"
            f"recall     {scores['recall']:.3f}\n"
            f"F1         {scores['f1']:.3f}"
        )

    def _read(self, path: Path, split: str | None) -> list[tuple[duplication.Record, str]]:
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        resolver = MunicipalityResolver.load()
        try:
            with path.open(encoding="utf-8-sig", newline="") as stream:
                reader = csv.DictReader(stream)
                missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
                if missing:
                    raise CommandError(f"{path}: missing column(s): {', '.join(missing)}")
                labelled = []
                if split and "split" not in (reader.fieldnames or []):
                    raise CommandError(f"{path}: --split needs a 'split' column")
                for line, row in enumerate(reader, start=2):
                    if split and (row.get("split") or "").strip() != split:
                        continue
                    record = self._record(path, line, row, resolver)
                    labelled.append((record, row["concept"].strip()))
        except UnicodeDecodeError as exc:
            raise CommandError(f"{path}: not UTF-8 text ({exc.reason})") from exc
        if not labelled:
            raise CommandError(f"{path}: no rows")
        return labelled

    def _record(self, path, line, row, resolver) -> duplication.Record:
        value, name = (row["municipality_code"] or "").strip(), (row["name"] or "").strip()
        if not name or not (row["concept"] or "").strip():
            raise CommandError(f"{path}, line {line}: name and concept must not be empty")
        resolution = resolver.resolve(value)
        municipality = resolution.municipality
        if municipality is None:
            problem = "ambiguous" if resolution.candidates else "unknown"
            raise CommandError(
                f"{path}, line {line}: {problem} municipality {value!r} — {resolution.error}"
            )
        if resolution.warning:
            self.stderr.write(f"{path}, line {line}: {resolution.warning}")
        return duplication.Record(
            id=line,
            municipality_code=municipality.code,
            name=name,
            description=(row.get("description") or "").strip(),
            municipality_name=str(municipality),
        )
