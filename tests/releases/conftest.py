import io
import threading
import zipfile
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connections

from analysis.worker import RunLock
from releases.models import Release


@pytest.fixture(autouse=True)
def releases_root(settings, tmp_path) -> Path:
    """Releases are written under the test's own directory, with the test client's address."""
    settings.RELEASES_ROOT = tmp_path / "releases"
    settings.SITE_URL = "http://testserver"
    return settings.RELEASES_ROOT


@pytest.fixture
def analysed(demo_data):
    """The demo catalog with its duplication analysis, as `make run` leaves it."""
    call_command("find_duplicates", stdout=io.StringIO())


def make(**options) -> Release:
    call_command("make_release", stdout=io.StringIO(), **options)
    return Release.objects.newest_first().first()


@pytest.fixture
def release(analysed) -> Release:
    return make(notes="첫 릴리스")


def unzip(release: Release, directory: Path) -> Path:
    """The release's files, extracted into ``directory``."""
    with zipfile.ZipFile(release.path) as archive:
        archive.extractall(directory)
    return directory


class LockHolder:
    """Holds the duplication run lock in a thread of its own (its own database session), as
    the analysis worker or find_duplicates would while they run."""

    def __init__(self):
        self.held, self.done = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def __enter__(self):
        self.thread.start()
        assert self.held.wait(10)
        return self

    def __exit__(self, *exc):
        self.done.set()
        self.thread.join(10)

    def _hold(self):
        lock = RunLock()
        try:
            assert lock.acquire()
            self.held.set()
            self.done.wait(30)
            lock.release()
        finally:
            connections.close_all()
