from django.core.management.base import BaseCommand, CommandError

from analysis import worker


class Command(BaseCommand):
    help = (
        "Keep the duplication analysis current: watch the catalog's revision and, once it has "
        "moved past the latest run's and then stayed unchanged for the debounce period, run "
        "the analysis as find_duplicates does. One run at a time across processes and "
        "machines. SIGTERM or SIGINT stop it between runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--once",
            action="store_true",
            help=(
                "Run at most one analysis, if changes are waiting (after the debounce period), "
                "then exit."
            ),
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=worker.DEFAULT_INTERVAL,
            metavar="SECONDS",
            help="Seconds between checks of the catalog (default: %(default)s).",
        )
        parser.add_argument(
            "--debounce",
            type=float,
            default=worker.DEFAULT_DEBOUNCE,
            metavar="SECONDS",
            help=(
                "Seconds the catalog must stay unchanged before a run, so that an import or a "
                "burst of edits gives one run (default: %(default)s)."
            ),
        )

    def handle(self, *args, once: bool = False, interval: float, debounce: float, **options):
        try:
            watcher = worker.Worker(interval=interval, debounce=debounce)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        with worker.stop_on_signals(watcher):
            outcome = watcher.serve(once=once)
        if once and outcome is worker.Outcome.FAILED:
            raise CommandError("The analysis failed (see the log above).")
