"""``manage.py make_release``: freeze what is published now into a citable release."""

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from releases.building import ReleaseRefused, make_release


class Command(BaseCommand):
    help = (
        "Freeze what the catalog publishes now into data release YYYY.MM.DD[-n]: one zip "
        "under RELEASES_ROOT with a CSV per table, datapackage.json (a Frictionless Data "
        "Package), a README codebook in Korean and English and CITATION.cff, listed on /data/ "
        "with its SHA-256. A release never changes once made. Refused while a duplication run "
        "is in progress."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--notes", default="", help="What this release is for, shown on /data/ and in it."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Build the release and report it, keep nothing (no lock needed).",
        )

    def handle(self, *args, notes: str = "", dry_run: bool = False, **options):
        try:
            made = make_release(notes=notes.strip(), made_by="manage.py", dry_run=dry_run)
        except ReleaseRefused as exc:
            raise CommandError(str(exc)) from exc
        for table, rows in made.counts.items():
            self.stdout.write(f"  {table}: {rows}")
        summary = f"{made.version}: {filesizeformat(made.size)}, SHA-256 {made.sha256}"
        if dry_run:
            self.stdout.write(self.style.WARNING(f"Dry run, nothing kept: {summary}"))
        else:
            path = made.release.path
            self.stdout.write(self.style.SUCCESS(f"Release {summary} written to {path}"))
