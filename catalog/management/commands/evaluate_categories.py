"""``manage.py evaluate_categories FILE [--split test] [--json]``: score category suggestion.

The model is fitted on the examples file and the fields' definitions only (never on the
catalog's services), so the figures are the same on any database.
"""

import dataclasses
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog import categorize


class Command(BaseCommand):
    help = (
        "Score category suggestion on a labelled CSV (name, category, optional description "
        "and split): top-1 and top-2 accuracy and recall per field, on names alone unless "
        "--use-description. Trained on fixtures/category_examples.csv and the field "
        "definitions only. 분야 제안의 정확도를 잽니다."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="Labelled CSV, UTF-8 (with or without BOM).")
        parser.add_argument(
            "--split", help="Score only the rows whose 'split' column holds this (tune, test)."
        )
        parser.add_argument(
            "--use-description",
            action="store_true",
            help="Give the model each row's description too (default: names alone).",
        )
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")

    def handle(self, *args, file: Path, split, use_description, **options):
        if not file.is_file():
            raise CommandError(f"파일이 없습니다 / no such file: {file}")
        try:
            labelled = categorize.read_labelled(file, split)
        except UnicodeDecodeError as exc:
            raise CommandError(f"{file}: UTF-8이 아닙니다 / not UTF-8 text ({exc.reason})") from exc
        except ValueError as exc:
            raise CommandError(f"{file}: {exc}") from exc
        if not labelled:
            raise CommandError(
                f"{file}: 행이 없습니다 / no rows" + (f" in split {split!r}" if split else "")
            )
        suggester = categorize.CategorySuggester.from_examples(categorize.base_examples())
        unknown = sorted({code for _, _, code in labelled} - set(suggester.codes))
        if unknown:
            raise CommandError(
                f"{file}: 알 수 없는 분야 / unknown field code(s): {', '.join(unknown)}"
            )
        scores = categorize.evaluate(suggester, labelled, use_description=use_description)
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        **scores,
                        "split": split,
                        "use_description": use_description,
                        "parameters": dataclasses.asdict(categorize.PARAMETERS),
                    },
                    ensure_ascii=False,
                )
            )
            return
        what = "names and descriptions" if use_description else "names alone"
        lines = [
            f"rows      {scores['rows']}" + (f" (split {split})" if split else "") + f", {what}",
            f"top-1     {scores['top1']:.3f}",
            f"top-2     {scores['top2']:.3f}",
            f"log loss  {scores['log_loss']:.3f}",
            "recall by field:",
        ]
        width = max(len(code) for code in scores["per_field"])
        for code, figures in scores["per_field"].items():
            lines.append(f"  {code:<{width}}  {figures['recall']:.3f}  ({figures['rows']} rows)")
        self.stdout.write("\n".join(lines))
