"""Keeps the duplication analysis current: runs it again after the catalog changes.

``manage.py analysis_worker`` reads the catalog's revision number (``catalog.revision``) every
``interval`` seconds. Changes are *waiting* when the number has moved past the revision the
latest successful run describes (``DuplicationRun.catalog_revision``, see
``analysis.runs.find_and_store``), or when no successful run has recorded one. Once the number
has stood still for ``debounce`` seconds (an import, or a burst of edits, is over), the worker
runs the analysis as ``find_duplicates`` does, with the method's default parameters. A check
reads two small rows.

At most one run stores clusters at a time, whatever starts it (this worker on any machine, or
``find_duplicates``): both hold :class:`RunLock` while they run.

Each check also prepares, for the current revision, the browse page's facet index
(``catalog.facet_index``) and the whole catalog's figures of ``/analysis/``
(``analysis.dashboard``), at once rather than after the debounce: where the cache is shared, web
workers then load them instead of computing them on a visitor's request.

A run that fails is not tried again for the same revision until the catalog changes or
``RETRY_AFTER`` seconds have passed, so a failing method does not run in a loop.
"""

import atexit
import enum
import hashlib
import logging
import math
import os
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.db import DEFAULT_DB_ALIAS, close_old_connections, connections

from analysis import dashboard
from analysis.models import DuplicationRun
from analysis.runs import RunResult, find_and_store
from catalog import facet_index, revision
from catalog.filters import UNSEARCHED_SORTS

logger = logging.getLogger(__name__)

DEFAULT_INTERVAL = 15.0
DEFAULT_DEBOUNCE = 60.0
RETRY_AFTER = 3600.0

# The PostgreSQL advisory lock key every duplication run holds (a fixed signed 64-bit number).
LOCK_KEY = int.from_bytes(
    hashlib.blake2b(b"smartcity-catalog:duplication-run", digest_size=8).digest(),
    "big",
    signed=True,
)


# -- one run at a time ------------------------------------------------------------------


class RunInProgress(Exception):
    """Another process (or thread) holds the run lock."""


class RunLock:
    """Held by whoever is storing a duplication run; at most one holder at a time.

    PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) taken on the
    connection that then runs the analysis. It is released after the run, and by the server
    when the session ends, so a process that crashes or is killed never leaves it behind.
    Every machine sharing the database shares the lock.

    SQLite: an exclusive ``flock`` on a file beside the database file (``<file>.analysis-lock``),
    the kind of lock SQLite itself takes; the kernel releases it when the process ends. An
    SQLite database is only shared by processes of one machine, which is what such a lock
    covers. An in-memory database lives in one process, so its lock file is named after that
    process (in the temporary directory).
    """

    def __init__(self, using: str = DEFAULT_DB_ALIAS):
        self.connection = connections[using]
        self._held = False
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._held

    def acquire(self, wait: bool = False) -> bool:
        """Take the lock; without ``wait``, give up at once (False) if someone holds it."""
        if self._held:
            raise RuntimeError("the run lock is already held by this RunLock")
        vendor = self.connection.vendor
        if vendor == "postgresql":
            self._held = self._advisory_lock(wait)
        elif vendor == "sqlite":
            self._held = self._file_lock(wait)
        else:
            raise NotImplementedError(f"No run lock for {vendor}: use PostgreSQL or SQLite.")
        return self._held

    def release(self) -> None:
        if not self._held:
            return
        self._held = False
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the file releases its flock
            return
        try:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        except Exception:
            # The session is gone (and its lock with it), or unusable: make sure it ends.
            logger.warning("Could not release the run lock; closing the database connection.")
            if not self.connection.in_atomic_block:
                self.connection.close()

    def _advisory_lock(self, wait: bool) -> bool:
        function = "pg_advisory_lock" if wait else "pg_try_advisory_lock"
        with self.connection.cursor() as cursor:
            cursor.execute(f"SELECT {function}(%s)", [LOCK_KEY])
            (result,) = cursor.fetchone()
        return wait or bool(result)

    def _file_lock(self, wait: bool) -> bool:
        import fcntl  # SQLite's lock is for the POSIX systems this project runs on

        fd = os.open(self.path(), os.O_RDWR | os.O_CREAT, 0o660)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def path(self) -> Path:
        """The SQLite lock file."""
        name = str(self.connection.settings_dict["NAME"])
        if self.connection.is_in_memory_db():
            digest = hashlib.blake2b(name.encode(), digest_size=8).hexdigest()
            path = Path(tempfile.gettempdir()) / f"smartcity-analysis-{os.getpid()}-{digest}.lock"
            if path not in _process_files:
                _process_files.add(path)
                atexit.register(path.unlink, missing_ok=True)
            return path
        database = Path(name).resolve()
        return database.with_name(f"{database.name}.analysis-lock")


_process_files: set[Path] = set()  # lock files of in-memory databases, removed at exit


@contextmanager
def exclusive_run(*, wait: bool = False, using: str = DEFAULT_DB_ALIAS):
    """Hold the run lock for the block; raise :class:`RunInProgress` if another run holds
    it (or, with ``wait``, wait until it is free)."""
    lock = RunLock(using)
    if not lock.acquire(wait=wait):
        raise RunInProgress(
            "Another duplication run is in progress (the analysis worker or find_duplicates)."
        )
    try:
        yield lock
    finally:
        lock.release()


# -- what is waiting ----------------------------------------------------------------------


def latest_analysed_revision() -> int | None:
    """The catalog revision the latest successful run describes (None: no such run, or a run
    from before runs recorded it)."""
    return (
        DuplicationRun.objects.filter(status=DuplicationRun.Status.SUCCEEDED)
        .values_list("catalog_revision", flat=True)
        .first()
    )


def changes_waiting(run: DuplicationRun | None, number: int | None = None) -> bool:
    """Whether the catalog (at revision ``number``, the current one when None) has changed
    since ``run``, the latest successful run: the next run would give other figures."""
    if run is None or run.catalog_revision is None:
        return True
    if number is None:
        number = revision.current()
    return number > run.catalog_revision


@dataclass(frozen=True)
class State:
    revision: int
    analysed: int | None

    @property
    def waiting(self) -> bool:
        return self.analysed is None or self.revision > self.analysed


def read_state() -> State:
    return State(revision.current(), latest_analysed_revision())


# -- the worker ---------------------------------------------------------------------------


class Clock:
    """Time as the worker sees it (tests give the worker one they control)."""

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        """Sleep ``seconds``, or until ``wake`` is set."""
        wake.wait(seconds)


class Outcome(enum.Enum):
    NOTHING_WAITING = "nothing waiting"
    SETTLING = "waiting for the catalog to stand still"
    RAN = "ran"
    BUSY = "another run in progress"
    FAILED = "run failed"
    HELD_BACK = "failed before at this revision"


class Worker:
    """Watches the catalog revision and runs the analysis once changes have settled."""

    def __init__(
        self,
        *,
        interval: float = DEFAULT_INTERVAL,
        debounce: float = DEFAULT_DEBOUNCE,
        clock: Clock | None = None,
        run: Callable[[], RunResult] | None = None,
    ):
        if not 0 < interval < math.inf:
            raise ValueError("interval must be a positive number of seconds")
        if not 0 <= debounce < math.inf:
            raise ValueError("debounce must be zero or a positive number of seconds")
        self.interval = interval
        self.debounce = debounce
        self.clock = clock or Clock()
        self.run = run or find_and_store
        self.stopping = threading.Event()
        self.result: RunResult | None = None  # of the latest run this worker stored
        self._seen: tuple[int, float] | None = None  # (revision, first seen at)
        self._failed: tuple[int, float] | None = None  # (revision, failed at)
        self._indexed: int | None = None  # the revision whose figures this worker prepared

    def stop(self) -> None:
        """Stop after the current step (a run in progress finishes first)."""
        self.stopping.set()

    def serve(self, once: bool = False) -> Outcome | None:
        """Check every ``interval`` seconds until stopped. With ``once``, return after the
        first check that is not waiting for the catalog to stand still: after at most one
        run. Returns the last outcome (None if stopped before any check)."""
        logger.info(
            "Analysis worker started: checking every %s s, running once the catalog has "
            "been unchanged for %s s.",
            _seconds(self.interval),
            _seconds(self.debounce),
        )
        outcome = None
        while not self.stopping.is_set():
            self._tidy_connection()
            try:
                outcome = self.check()
            except Exception:
                logger.exception(
                    "Could not check the catalog; trying again in %s s.", self.interval
                )
                outcome = Outcome.FAILED
            if once and outcome is not Outcome.SETTLING:
                if outcome is Outcome.NOTHING_WAITING:
                    logger.info("No catalog changes are waiting.")
                break
            if not self.stopping.is_set():
                self.clock.sleep(self._pause(outcome), self.stopping)
        logger.info("Analysis worker stopped.")
        return outcome

    def check(self) -> Outcome:
        """Look once, and run the analysis if changes are waiting and have settled."""
        now = self.clock.monotonic()
        state = read_state()
        self._prepare(state.revision)
        if not state.waiting:
            self._seen = None
            return Outcome.NOTHING_WAITING
        if self._seen is None or self._seen[0] != state.revision:
            self._seen = (state.revision, now)
            logger.info(
                "Catalog changes are waiting (revision %s; last analysed: %s); running once "
                "it has been unchanged for %s s.",
                state.revision,
                _revision(state.analysed),
                _seconds(self.debounce),
            )
        if now - self._seen[1] < self.debounce:
            return Outcome.SETTLING
        failed = self._failed
        if failed is not None and failed[0] == state.revision and now - failed[1] < RETRY_AFTER:
            return Outcome.HELD_BACK
        return self._run(state, now)

    def _prepare(self, number: int) -> None:
        """Build the browse page's facet index and the dashboard's figures of a new revision at
        once (no debounce) and leave them in the shared cache, so that web workers load them
        rather than compute them."""
        if number != self._indexed:
            facet_index.for_current_revision(UNSEARCHED_SORTS)
            dashboard.prepare()
            self._indexed = number

    def _run(self, seen: State, now: float) -> Outcome:
        lock = RunLock()
        if not lock.acquire():
            logger.info("Another duplication run is in progress; not running now.")
            return Outcome.BUSY
        try:
            state = read_state()  # the run that held the lock may have caught up meanwhile
            if not state.waiting:
                logger.info("Another run has already analysed revision %s.", state.analysed)
                self._seen = None
                return Outcome.NOTHING_WAITING
            if state.revision != seen.revision:
                self._seen = (state.revision, now)
                return Outcome.SETTLING
            logger.info("Running the duplication analysis on catalog revision %s.", state.revision)
            try:
                result = self.run()
            except Exception:
                self._failed = (state.revision, now)
                logger.exception(
                    "The duplication run failed; it is tried again when the catalog changes, "
                    "or in %s s.",
                    _seconds(RETRY_AFTER),
                )
                return Outcome.FAILED
        finally:
            lock.release()
        self._seen = self._failed = None
        self.result = result
        run = result.run
        logger.info(
            "Run %s stored in %s s: %s published services, %s clusters; analysed revision %s.",
            run.pk,
            run.seconds,
            result.service_count,
            run.cluster_count,
            _revision(run.catalog_revision),
        )
        return Outcome.RAN

    def _pause(self, outcome: Outcome | None) -> float:
        if outcome is Outcome.SETTLING and self._seen is not None:
            settled_at = self._seen[1] + self.debounce
            return max(0.0, min(self.interval, settled_at - self.clock.monotonic()))
        return self.interval

    def _tidy_connection(self) -> None:
        """Drop a broken or expired connection between checks (a long-lived process sees
        no requests, which is when Django does this), never one inside a transaction."""
        if not connections[DEFAULT_DB_ALIAS].in_atomic_block:
            close_old_connections()


@contextmanager
def stop_on_signals(worker: Worker, signals=(signal.SIGTERM, signal.SIGINT)):
    """SIGTERM or SIGINT stop ``worker`` between runs; a second one acts as it would have
    without this (a run in progress is then interrupted and rolled back)."""
    previous = {signum: signal.getsignal(signum) for signum in signals}

    def handle(signum, frame):
        logger.info("%s received: stopping after the current step.", signal.Signals(signum).name)
        worker.stop()
        signal.signal(signum, previous[signum])

    for signum in signals:
        signal.signal(signum, handle)
    try:
        yield worker
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _seconds(value: float) -> str:
    return f"{value:g}"


def _revision(value: int | None) -> str:
    return "none" if value is None else str(value)
