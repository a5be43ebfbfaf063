"""analysis_worker: runs the analysis once the catalog has changed and then stood still; one
run at a time across workers and find_duplicates; /analysis/ says what is waiting."""

import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone

from analysis import duplication, worker
from analysis.models import DuplicationRun
from analysis.runs import RunResult, find_and_store
from analysis.worker import Outcome, RunLock
from catalog import revision
from catalog.models import Service

pytestmark = pytest.mark.django_db
WAITING = "그 뒤 카탈로그가 바뀌어 다음 분석을 기다립니다."


class FakeClock(worker.Clock):
    """Seconds that pass only when the worker sleeps; actions scheduled at given times run
    as the clock passes them."""

    def __init__(self):
        self.now = 0.0
        self.actions: list[tuple[float, object]] = []

    def at(self, when: float, action) -> None:
        self.actions.append((when, action))
        self.actions.sort(key=lambda item: item[0])

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float, wake: threading.Event) -> None:
        assert seconds >= 0
        self.now += seconds
        while self.actions and self.actions[0][0] <= self.now:
            _, action = self.actions.pop(0)
            action()
        if self.now > 10_000:
            raise AssertionError("the worker did not stop")


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(worker, "Clock", lambda: fake)
    return fake


@pytest.fixture
def runs(monkeypatch, clock) -> list[float]:
    """The times (on the fake clock) at which the worker ran the analysis."""
    times = []

    def recorded():
        times.append(clock.now)
        return find_and_store()

    monkeypatch.setattr(worker, "find_and_store", recorded)
    return times


@pytest.fixture
def analysed(copied_ideas):
    find_and_store()
    return copied_ideas


def stop_at(clock: FakeClock, when: float) -> None:
    clock.at(when, lambda: signal.raise_signal(signal.SIGTERM))


def work(*args: str) -> None:
    call_command("analysis_worker", "--interval", "5", "--debounce", "30", *args)


def dashboard(client) -> str:
    return client.get("/analysis/").content.decode()


# -- bookkeeping ----------------------------------------------------------------------------


def test_a_run_records_the_revision_it_leaves_the_catalog_at(copied_ideas):
    run = find_and_store().run
    assert run.catalog_revision == revision.current()
    assert not worker.changes_waiting(run)


def test_a_change_while_the_method_runs_still_waits_for_the_next_run(
    copied_ideas, add, monkeypatch
):
    find_clusters = duplication.find_clusters

    def meanwhile(*args, **kwargs):
        add("47210", "스마트 횡단보도 안내")  # published while the method works
        return find_clusters(*args, **kwargs)

    monkeypatch.setattr(duplication, "find_clusters", meanwhile)
    before = revision.current()
    run = find_and_store().run
    assert run.catalog_revision == before
    assert worker.changes_waiting(run)
    assert worker.read_state().waiting


def test_a_failed_run_records_the_revision_it_read(copied_ideas, monkeypatch):
    monkeypatch.setattr(duplication, "find_clusters", _broken)
    number = revision.current()
    with pytest.raises(RuntimeError):
        find_and_store()
    assert DuplicationRun.objects.get().catalog_revision == number


def _broken(*args, **kwargs):
    raise RuntimeError("the method broke")


# -- when the worker runs -------------------------------------------------------------------


def test_runs_after_a_change_once_the_catalog_has_been_still_for_the_debounce(
    analysed, add, clock, runs
):
    add("47210", "스마트 횡단보도 안내")
    stop_at(clock, 100)
    work()
    assert len(runs) == 1
    assert 30 <= runs[0] <= 35
    assert not worker.read_state().waiting


def test_each_new_revision_gets_its_facet_index_at_once(analysed, add, clock, runs):
    add("47210", "스마트 횡단보도 안내")
    stop_at(clock, 10)  # long before the debounce lets the analysis run
    work()
    assert runs == []
    index = cache.get(f"facet-index:{revision.current()}")
    assert index is not None
    assert index.revision == revision.current()


def test_each_new_revision_gets_its_dashboard_figures_at_once(
    analysed, add, clock, runs, client, django_assert_max_num_queries
):
    add("47210", "스마트 횡단보도 안내")
    stop_at(clock, 10)
    work()
    assert runs == []
    # The first visitor after the change reads the figures the worker counted.
    with django_assert_max_num_queries(6):
        response = client.get("/analysis/")
    assert response.context["rate"].total == Service.objects.published().count()


def test_does_not_run_before_the_debounce_has_passed(analysed, add, clock, runs):
    add("47210", "스마트 횡단보도 안내")
    stop_at(clock, 25)
    work()
    assert runs == []
    assert worker.read_state().waiting


def test_a_burst_of_changes_gives_one_run(analysed, add, clock, runs):
    add("47210", "스마트 횡단보도 안내")
    for at in (10, 20, 40):
        clock.at(at, lambda at=at: add("41280", f"스마트 정류장 {at}"))
    stop_at(clock, 200)
    work()
    assert len(runs) == 1
    assert runs[0] >= 40 + 30  # still for 30 s after the last change
    run = DuplicationRun.objects.first()
    assert run.service_count == 8 + 4
    assert run.catalog_revision == revision.current()


def test_changes_after_a_run_give_another_run(analysed, add, clock, runs):
    add("47210", "스마트 횡단보도 안내")
    clock.at(100, lambda: add("41280", "스마트 정류장"))
    stop_at(clock, 300)
    work()
    assert len(runs) == 2
    assert runs[1] >= 130


def test_nothing_waiting_means_no_run(analysed, clock, runs, caplog):
    caplog.set_level(logging.INFO, logger="analysis.worker")
    stop_at(clock, 500)
    work()
    assert runs == []
    assert DuplicationRun.objects.count() == 1
    assert "Analysis worker started" in caplog.text
    assert "Analysis worker stopped" in caplog.text


def test_a_catalog_never_analysed_is_waiting(copied_ideas, clock, runs):
    call_command("analysis_worker", "--once", "--debounce", "0")
    assert runs == [0]


# -- --once -----------------------------------------------------------------------------------


def test_once_with_nothing_waiting_exits_at_once(analysed, clock, runs):
    call_command("analysis_worker", "--once")
    assert runs == []
    assert clock.now == 0


def test_once_waits_for_the_debounce_runs_once_and_exits(analysed, add, clock, runs):
    add("47210", "스마트 횡단보도 안내")
    clock.at(10, lambda: add("41280", "스마트 정류장"))
    work("--once")
    assert len(runs) == 1
    assert runs[0] >= 40
    assert clock.now == runs[0]  # it exited right after the run


def test_once_with_no_debounce_runs_at_once(analysed, add, clock, runs):
    add("47210", "스마트 횡단보도 안내")
    call_command("analysis_worker", "--once", "--debounce", "0")
    assert runs == [0]


def test_once_exits_with_an_error_when_the_run_fails(analysed, add, clock, monkeypatch):
    monkeypatch.setattr(duplication, "find_clusters", _broken)
    add("47210", "스마트 횡단보도 안내")
    with pytest.raises(CommandError, match="failed"):
        call_command("analysis_worker", "--once", "--debounce", "0")
    assert DuplicationRun.objects.first().status == DuplicationRun.Status.FAILED


def test_a_failed_run_is_not_repeated_until_the_catalog_changes(analysed, add, clock, runs):
    attempts = []

    def failing():
        attempts.append(clock.now)
        raise RuntimeError("the method broke")

    watcher = worker.Worker(interval=5, debounce=0, run=failing)
    add("47210", "스마트 횡단보도 안내")
    assert watcher.check() is Outcome.FAILED
    clock.now = 100
    assert watcher.check() is Outcome.HELD_BACK
    add("41280", "스마트 정류장")
    assert watcher.check() is Outcome.FAILED
    clock.now += worker.RETRY_AFTER
    assert watcher.check() is Outcome.FAILED
    assert attempts == [0, 100, 100 + worker.RETRY_AFTER]


def test_bad_options_are_refused(db):
    with pytest.raises(CommandError, match="interval"):
        call_command("analysis_worker", "--interval", "0")
    with pytest.raises(CommandError, match="interval"):
        call_command("analysis_worker", "--interval", "nan")
    with pytest.raises(CommandError, match="debounce"):
        call_command("analysis_worker", "--debounce", "-1")


# -- signals --------------------------------------------------------------------------------


def test_sigterm_during_a_run_lets_it_finish_then_stops(analysed, add, clock, monkeypatch):
    def run_then_term():
        result = find_and_store()
        signal.raise_signal(signal.SIGTERM)
        return result

    monkeypatch.setattr(worker, "find_and_store", run_then_term)
    add("47210", "스마트 횡단보도 안내")
    clock.at(50, lambda: add("41280", "스마트 정류장"))  # would give a second run
    previous = signal.getsignal(signal.SIGTERM)
    work()
    assert DuplicationRun.objects.count() == 2  # the one before, and the one that finished
    assert DuplicationRun.objects.first().status == DuplicationRun.Status.SUCCEEDED
    assert clock.now < 50
    assert signal.getsignal(signal.SIGTERM) is previous


def test_sigint_stops_the_worker_while_it_sleeps(analysed, clock, runs):
    clock.at(12, lambda: signal.raise_signal(signal.SIGINT))
    work()
    assert runs == []
    assert clock.now == 15  # woke from the sleep it was in, then stopped


# -- one run at a time --------------------------------------------------------------------


class Holder:
    """Holds the run lock in a thread of its own (its own database session), as another
    worker or find_duplicates would, until released or "crashed"."""

    def __init__(self):
        self.held = threading.Event()
        self.done = threading.Event()
        self.how = "release"
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def __enter__(self):
        self.thread.start()
        assert self.held.wait(10)
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self, how: str = "release") -> None:
        self.how = how
        self.done.set()
        self.thread.join(10)

    def _hold(self):
        lock = RunLock()
        try:
            assert lock.acquire()
            self.held.set()
            self.done.wait(30)
            if self.how == "release":
                lock.release()
            elif lock._fd is not None:  # a crash: the file is closed, nothing released
                os.close(lock._fd)
        finally:
            connections.close_all()  # PostgreSQL: the session ends


def test_only_one_lock_holder_at_a_time(db):
    lock = RunLock()
    assert lock.acquire()
    assert not _try_in_thread()  # another session (PostgreSQL), another open file (SQLite)
    lock.release()
    assert _try_in_thread()
    assert lock.acquire()
    lock.release()


def _try_in_thread() -> bool:
    """Whether another session (PostgreSQL) or open file (SQLite) can take the lock now."""
    results = []

    def attempt():
        lock = RunLock()
        try:
            results.append(lock.acquire())
            lock.release()
        finally:
            connections.close_all()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(10)
    return results == [True]


def test_a_worker_does_not_run_while_another_run_holds_the_lock(analysed, add, clock, runs, caplog):
    caplog.set_level(logging.INFO, logger="analysis.worker")
    add("47210", "스마트 횡단보도 안내")
    with Holder():
        call_command("analysis_worker", "--once", "--debounce", "0")
    assert runs == []
    assert "Another duplication run is in progress" in caplog.text
    call_command("analysis_worker", "--once", "--debounce", "0")
    assert runs == [0]


def test_find_duplicates_refuses_while_a_run_is_in_progress(analysed):
    with Holder(), pytest.raises(CommandError, match="in progress"):
        call_command("find_duplicates", verbosity=0)
    assert DuplicationRun.objects.count() == 1
    call_command("find_duplicates", "--dry-run", verbosity=0)  # writes nothing: no lock
    call_command("find_duplicates", verbosity=0)
    assert DuplicationRun.objects.count() == 2


def test_find_duplicates_wait_runs_once_the_other_run_ends(analysed):
    holder = Holder().__enter__()
    threading.Timer(0.3, holder.stop).start()
    call_command("find_duplicates", "--wait", verbosity=0)
    assert not holder.thread.is_alive()
    assert DuplicationRun.objects.count() == 2


def test_a_worker_holds_the_lock_while_it_runs(analysed, add, clock, monkeypatch):
    seen = []

    def run_and_look():
        seen.append(_try_in_thread())
        return find_and_store()

    monkeypatch.setattr(worker, "find_and_store", run_and_look)
    add("47210", "스마트 횡단보도 안내")
    call_command("analysis_worker", "--once", "--debounce", "0")
    assert seen == [False]
    assert _try_in_thread()  # released after the run


def test_two_workers_racing_never_run_at_once(db, monkeypatch):
    """Both see changes waiting at the same moment; one runs, the other finds it busy."""
    monkeypatch.setattr(worker, "read_state", lambda: worker.State(revision=2, analysed=1))
    start = threading.Barrier(2)
    busy_seen = threading.Event()
    running, overlaps, outcomes = [], [], []

    def slow_run():
        running.append(1)
        overlaps.append(len(running))
        busy_seen.wait(10)  # keep the lock until the other worker has tried
        running.pop()
        return RunResult(
            SimpleNamespace(pk=0, seconds=0, cluster_count=0, catalog_revision=None), 0, [], 0, 0
        )

    def one_worker():
        watcher = worker.Worker(interval=1, debounce=0, clock=worker.Clock(), run=slow_run)
        try:
            start.wait(10)
            outcome = watcher.check()
            outcomes.append(outcome)
            if outcome is Outcome.BUSY:
                busy_seen.set()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one_worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert sorted(outcome.value for outcome in outcomes) == sorted(
        [Outcome.RAN.value, Outcome.BUSY.value]
    )
    assert overlaps == [1]


def test_many_workers_and_find_duplicates_racing_never_overlap(db, monkeypatch):
    """Four threads (three workers and one exclusive run, as find_duplicates takes) try again
    and again; at no moment do two of them run."""
    monkeypatch.setattr(worker, "read_state", lambda: worker.State(revision=2, analysed=1))
    start = threading.Barrier(4)
    guard = threading.Lock()
    running, overlaps, ran = [0], [], []

    def run():
        with guard:
            running[0] += 1
            overlaps.append(running[0])
        threading.Event().wait(0.002)
        with guard:
            running[0] -= 1
        ran.append(1)
        return RunResult(
            SimpleNamespace(pk=0, seconds=0, cluster_count=0, catalog_revision=None), 0, [], 0, 0
        )

    def as_worker():
        watcher = worker.Worker(interval=1, debounce=0, clock=worker.Clock(), run=run)
        try:
            start.wait(10)
            for _ in range(25):
                watcher.check()
        finally:
            connections.close_all()

    def as_find_duplicates():
        try:
            start.wait(10)
            for _ in range(25):
                try:
                    with worker.exclusive_run():
                        run()
                except worker.RunInProgress:
                    pass
        finally:
            connections.close_all()

    threads = [threading.Thread(target=as_worker) for _ in range(3)]
    threads.append(threading.Thread(target=as_find_duplicates))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert ran
    assert set(overlaps) == {1}


def eventually(attempt, seconds: float = 10) -> bool:
    for _ in range(int(seconds * 20)):
        if attempt():
            return True
        threading.Event().wait(0.05)
    return False


def test_a_crashed_holders_lock_is_released(db):
    holder = Holder().__enter__()
    assert not _try_in_thread()
    holder.stop(how="crash")
    assert eventually(_try_in_thread)  # PostgreSQL ends the session just after it is closed


CHILD = """
import sys, time, django
django.setup()
from analysis.worker import RunLock
print(RunLock().acquire(), flush=True)
time.sleep(60)
"""


def test_a_killed_process_leaves_no_lock_behind(db, tmp_path):
    """A real process takes the lock and is killed with SIGKILL: nothing is left held."""
    if connection.vendor == "postgresql":
        lock = RunLock()
        database = connection.settings_dict
        url = (
            f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}"
            f":{database['PORT'] or 5432}/{database['NAME']}"
        )
    else:  # the file lock of an SQLite database file both processes use
        path = tmp_path / "catalog.sqlite3"
        url = f"sqlite:///{path}"
        lock = RunLock()
        lock.connection = SimpleNamespace(
            vendor="sqlite", settings_dict={"NAME": str(path)}, is_in_memory_db=lambda: False
        )
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env["DEBUG"] = "1"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout.readline().strip() == "True"
        assert not lock.acquire()
    finally:
        child.kill()
        child.wait(10)
        child.stdout.close()
    assert eventually(lock.acquire)  # the server ends the session at once, or nearly
    lock.release()


# -- /analysis/ -------------------------------------------------------------------------------


def test_dashboard_says_when_changes_wait_and_not_after_the_worker_ran(
    client, analysed, add, clock
):
    page = dashboard(client)
    assert "공개 서비스 8개" in page
    assert WAITING not in page

    add("47210", "스마트 횡단보도 안내")  # staff publish
    page = dashboard(client)
    assert WAITING in page
    assert "공개 서비스 8개" in page  # the figures' run is still the one before

    call_command("analysis_worker", "--once", "--debounce", "0")
    page = dashboard(client)
    assert WAITING not in page
    assert "공개 서비스 9개" in page


def test_dashboard_shows_the_last_run_time(client, analysed):
    run = DuplicationRun.objects.get()
    shown = timezone.localtime(run.finished_at).strftime("%Y-%m-%d %H:%M")
    assert shown in dashboard(client)


def test_the_status_costs_no_query_when_the_figures_are_cached(
    client, analysed, add, django_assert_num_queries
):
    client.get("/analysis/")
    with django_assert_num_queries(2):  # the revision, read for two cached figures
        assert client.get("/analysis/").context["changes_waiting"] is False
    add("47210", "스마트 횡단보도 안내")
    client.get("/analysis/")
    with django_assert_num_queries(2):
        assert client.get("/analysis/").context["changes_waiting"] is True
