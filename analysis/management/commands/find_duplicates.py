import dataclasses
import json

from django.core.management.base import BaseCommand, CommandError

from analysis import duplication
from analysis.runs import find_and_store
from analysis.worker import RunInProgress, exclusive_run


class Command(BaseCommand):
    help = (
        "Group the published services of different municipalities that are the same idea and "
        "store the clusters with the method, its parameters and the run time. Safe to re-run: "
        "unconfirmed clusters are replaced, confirmed clusters and 'not the same idea' "
        "decisions are kept. Refuses to start while another run (the analysis worker or "
        "another find_duplicates) is in progress, unless --wait is given."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Compute and report, write nothing."
        )
        parser.add_argument(
            "--set",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="Override a parameter, e.g. --set resolution=0.5 (JSON values).",
        )
        parser.add_argument(
            "--wait",
            action="store_true",
            help="If another run is in progress, wait for it to finish instead of refusing.",
        )

    def handle(self, *args, dry_run: bool = False, wait: bool = False, **options):
        params = _parameters(options["set"])
        if dry_run:  # writes nothing, so it needs no lock
            result = find_and_store(params, dry_run=True)
        else:
            try:
                with exclusive_run(wait=wait):
                    result = find_and_store(params)
            except RunInProgress as exc:
                raise CommandError(
                    f"{exc} Nothing was written; try again when it has finished, or pass --wait."
                ) from exc
        shared = sum(len(cluster.members) for cluster in result.clusters)
        self.stdout.write(
            f"{result.service_count} published services; {len(result.clusters)} clusters "
            f"from the method covering {shared} services; {result.kept_confirmed} confirmed "
            f"clusters kept."
        )
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        else:
            run = result.run
            self.stdout.write(
                self.style.SUCCESS(
                    f"Run {run.pk} stored in {run.seconds} s "
                    f"({result.reused} unchanged clusters kept their ids)."
                )
            )


def _parameters(overrides: list[str]) -> duplication.Parameters:
    defaults = duplication.Parameters()
    known = {f.name for f in dataclasses.fields(defaults)}
    changes = {}
    for item in overrides:
        name, separator, raw = item.partition("=")
        if not separator or name not in known:
            choices = ", ".join(sorted(known))
            raise CommandError(f"Unknown parameter {name!r}; use NAME=VALUE with one of: {choices}")
        try:
            value = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{name}: {raw!r} is not a JSON value") from exc
        current = getattr(defaults, name)
        if isinstance(current, tuple) and isinstance(value, list):
            value = tuple(tuple(v) if isinstance(v, list) else v for v in value)
        elif not isinstance(value, type(current)) and not (
            isinstance(current, float) and isinstance(value, int)
        ):
            raise CommandError(f"{name} must be like {current!r}, not {raw!r}")
        changes[name] = value
    return dataclasses.replace(defaults, **changes)
