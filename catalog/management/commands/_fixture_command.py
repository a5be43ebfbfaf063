from django.core.management.base import BaseCommand

from catalog.loading import load_fixtures


class FixtureCommand(BaseCommand):
    """Shared body of the commands that load a set of the project's fixtures."""

    fixtures: tuple[str, ...] = ()

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Report what would change, then roll everything back.",
        )

    def handle(self, *args, dry_run: bool = False, verbosity: int = 1, **options):
        report = load_fixtures(self.fixtures, dry_run=dry_run)
        if verbosity == 0:
            return
        for line in report.lines():
            self.stdout.write(line)
        if dry_run:
            self.stdout.write(self.style.WARNING("Dry run: nothing was written."))
        elif report.changed:
            self.stdout.write(self.style.SUCCESS("Loaded."))
        else:
            self.stdout.write(self.style.SUCCESS("Already up to date: nothing changed."))
