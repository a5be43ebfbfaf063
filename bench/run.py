"""The benchmark suite: ``make bench`` (PostgreSQL, 100,000 synthetic services).

    .venv/bin/python bench/run.py [--services 100000] [--reuse] [--load-seconds 60]

1. (Re)creates the PostgreSQL database ``catalog_bench`` (``BENCH_DATABASE_URL`` overrides),
   migrates, loads the reference data, generates the synthetic catalog and runs
   ``find_duplicates``. ``--reuse`` skips this when the database is already filled.
2. Pages, in process with Django's test client (DEBUG off, production settings): server time
   p50/p95 and query count over many requests with varied parameters; search latency.
3. Exports (CSV of 100,000 and 10,000 rows, JSON and XLSX of 100,000) against gunicorn with
   2 workers and the deployed 30 s timeout: time to first byte, total time, peak RSS of the
   serving worker (sampled from /proc while the client streams).
4. ``find_duplicates``' method at 10k, 50k, 100k, each in a subprocess (``dedup_scale.py``).
5. Load: ``wrk`` (32 connections, 60 s) over browse URLs with varied filters.
6. Facet-only browsing beside Datasette on the same rows (``bench/facets.py``): first views
   after a restart and an edit, a second pass, and ``wrk`` over 200 facet-only URLs.

The table is printed and written to ``bench/results/<date>.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/catalog_bench"


def _free_port() -> int:
    """A port nothing listens on, so that a forgotten development server cannot answer."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


PORT = _free_port()
DEPLOYED_TIMEOUT = 30  # gunicorn's default, which the Dockerfile and compose keep


def production_env(database_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="0",
        SECRET_KEY=os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        SECURE_SSL_REDIRECT="0",
        SESSION_COOKIE_SECURE="0",
        CSRF_COOKIE_SECURE="0",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        SYNTHETIC_DATA="1",  # generate_synthetic: the benchmark's catalog
    )
    return env


def manage(env, *args, quiet=True) -> float:
    started = time.perf_counter()
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )
    return time.perf_counter() - started


def recreate_database(database_url: str) -> None:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    for sql in (f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'):
        subprocess.run(["psql", admin, "-q", "-c", sql], check=True)


def vacuum_analyze(database_url: str) -> None:
    """Bring the fresh tables to the state autovacuum keeps a live database in (statistics,
    visibility map), so the figures describe a running site rather than a bulk load."""
    subprocess.run(["psql", database_url, "-q", "-c", "VACUUM ANALYZE"], check=True)


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.*)", cpuinfo)
    meminfo = Path("/proc/meminfo").read_text()
    kib = int(re.search(r"MemTotal:\s*(\d+)", meminfo).group(1))
    pg = subprocess.run(
        ["psql", os.environ.get("BENCH_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
         "-tAc", "SHOW server_version"], capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    return (
        f"{model.group(1) if model else platform.processor()}, {os.cpu_count()} cores, "
        f"{kib / 1024 / 1024:.1f} GiB RAM; Python {platform.python_version()}, "
        f"PostgreSQL {pg}"
    )


# -- pages, in process ---------------------------------------------------------------------


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def measure_pages(repeat: int) -> list[tuple[str, float, float, str]]:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from analysis.models import IdeaCluster
    from catalog.models import Category, Municipality, Service, Tag

    rng = random.Random(11)
    client = Client(HTTP_HOST="localhost")
    categories = list(Category.objects.values_list("code", flat=True))
    sidos = [code[:2] for code in Municipality.objects.sidos().values_list("code", flat=True)]
    locals_ = list(Municipality.objects.local().values_list("code", flat=True))
    tags = list(Tag.objects.values_list("slug", flat=True))
    service_ids = list(Service.objects.values_list("pk", flat=True)[::97])
    idea_ids = list(IdeaCluster.objects.shared().values_list("pk", flat=True)[:500])
    words = ["가로등", "주차", "CCTV", "안내", "드론", "관광", "감지", "버스", "쉼터", "돌봄"]
    statuses = ["planned", "built", "operating"]

    def q_three():
        return "/services/", {
            "q": rng.choice(words),
            "category": rng.choice(categories),
            "sido": rng.choice(sidos),
            "status": rng.choice(statuses),
        }

    cases = {
        "browse, q + three facets": q_three,
        "browse, no filter": lambda: ("/services/", {"sort": rng.choice(["name", "newest"])}),
        "browse, page 500": lambda: ("/services/", {"page": 500 + rng.randint(0, 5)}),
        "service page": lambda: (f"/services/{rng.choice(service_ids)}/", {}),
        "municipality page": lambda: (f"/municipalities/{rng.choice(locals_)}/", {}),
        "analysis dashboard": lambda: ("/analysis/", rng.choice([{}, {"sido": rng.choice(sidos)}])),
        "search, 2 syllables": lambda: ("/services/", {"q": rng.choice(["주차", "드론", "관광"])}),
        "search, 3+ syllables": lambda: (
            "/services/",
            {"q": rng.choice(["가로등", "스마트가로등", "버스정류장", "미세먼지"])},
        ),
        "search, three terms": lambda: (
            "/services/",
            {"q": rng.choice(["스마트 버스 정보", "어린이 안전 CCTV", "주차 공유 센서"])},
        ),
        "browse, tag + kind": lambda: (
            "/services/",
            {"tag": rng.choice(tags), "kind": "master_plan", "per_page": 100},
        ),
        "idea page": lambda: (f"/ideas/{rng.choice(idea_ids)}/", {}),
        "analysis dashboard, first view after an edit": lambda: (
            edit_one_service() or "/analysis/",
            {},
        ),
        "analysis dashboard, a 시·도's first view after an edit": lambda: (
            edit_one_service() or "/analysis/",
            {"sido": rng.choice(sidos)},
        ),
    }

    def edit_one_service():
        """A staff edit: the revision moves, so nothing the dashboard cached still holds."""
        service = Service.objects.get(pk=rng.choice(service_ids))
        service.save()

    rows = []
    for label, make in cases.items():
        times, queries = [], []
        n = repeat if "dashboard" not in label else max(5, repeat // 4)
        client.get(*make())  # warm up
        for _ in range(n):
            path, params = make()
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(path, params)
                elapsed = time.perf_counter() - started
            assert response.status_code == 200, (path, params, response.status_code)
            times.append(elapsed * 1000)
            queries.append(len(captured))
        low, high = min(queries), max(queries)
        spread = f"{low}" if low == high else f"{low}–{high}"
        rows.append((label, statistics.median(times), percentile(times, 95), spread))
        print(f"  {label:28} p50 {rows[-1][1]:7.1f} ms  p95 {rows[-1][2]:7.1f} ms  q {spread}")
    return rows


# -- gunicorn ------------------------------------------------------------------------------


class Gunicorn:
    """Two sync workers, as deployed; ``warm`` requests the browse page a few times first."""

    def __init__(self, env, warm: bool = True):
        self.env = env
        self.warm = warm
        self.process = None

    def __enter__(self):
        gunicorn = shutil.which("gunicorn", path=str(Path(PYTHON).parent)) or "gunicorn"
        self.process = subprocess.Popen(
            [gunicorn, "config.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{PORT}",
             "--timeout", str(DEPLOYED_TIMEOUT), "--log-level", "warning"],
            cwd=ROOT, env=self.env,
        )  # fmt: skip
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", PORT), timeout=1):
                    break
            except OSError:
                time.sleep(0.2)
        while len(self.workers()) < 2 and time.time() < deadline:
            time.sleep(0.2)
        if self.warm:  # concurrent requests, so that both workers build their facet index
            url = f"http://127.0.0.1:{PORT}/services/"
            with ThreadPoolExecutor(4) as pool:
                list(pool.map(lambda _: urllib.request.urlopen(url, timeout=60).read(), range(8)))
        return self

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def rss_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0.0
    return int(re.search(r"VmRSS:\s*(\d+)", status).group(1)) / 1024


def measure_export(server: Gunicorn, query: dict) -> tuple[float, float, float, float, int]:
    """(first byte s, total s, worker RSS before MiB, peak MiB, bytes)"""
    workers = server.workers()
    before = {pid: rss_mib(pid) for pid in workers}
    peak = dict(before)
    done = threading.Event()

    def sample():
        while not done.is_set():
            for pid in workers:
                peak[pid] = max(peak[pid], rss_mib(pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.perf_counter()
    url = f"http://127.0.0.1:{PORT}/services/export/?{urlencode(query)}"
    with urllib.request.urlopen(url, timeout=300) as response:
        first = response.read(1)
        first_byte = time.perf_counter() - started
        size = len(first)
        while chunk := response.read(65536):
            size += len(chunk)
    total = time.perf_counter() - started
    done.set()
    sampler.join()
    grown = max(workers, key=lambda pid: peak[pid] - before[pid])
    return first_byte, total, before[grown], peak[grown], size


def load_run(seconds: int, connections: int) -> dict:
    wrk = shutil.which("wrk")
    if not wrk:
        return {"error": "wrk not installed (apt-get install -y wrk)"}
    rng = random.Random(5)
    categories = ["transport", "safety-disaster", "environment-energy-water", "administration"]
    words = ["가로등", "주차", "CCTV", "안내", "드론", "관광", "버스", "스마트 쉼터"]
    paths = []
    for _ in range(200):
        params = {}
        if rng.random() < 0.6:
            params["q"] = rng.choice(words)
        if rng.random() < 0.6:
            params["category"] = rng.choice(categories)
        if rng.random() < 0.4:
            params["sido"] = rng.choice(["11", "26", "41", "48", "52"])
        if rng.random() < 0.3:
            params["status"] = rng.choice(["planned", "operating"])
        if rng.random() < 0.3:
            params["page"] = rng.randint(1, 30)
        paths.append("/services/?" + urlencode(params))
    lua = (
        "paths = {"
        + ",".join(json.dumps(p) for p in paths)
        + "}\n"
        + (
            "counter = 0\n"
            "request = function()\n"
            "  counter = counter + 1\n"
            "  return wrk.format('GET', paths[(counter % #paths) + 1])\n"
            "end\n"
            "done = function(summary, latency, requests)\n"
            '  io.write(string.format(\'JSON {"requests": %d, "non2xx": %d, "connect": %d, '
            '"read": %d, "write": %d, "timeout": %d, "p99_ms": %.1f, "p50_ms": %.1f, '
            '"duration_s": %.2f}\\n\', summary.requests, summary.errors.status, '
            "summary.errors.connect, summary.errors.read, summary.errors.write, "
            "summary.errors.timeout, latency:percentile(99) / 1000, latency:percentile(50) / 1000, "
            "summary.duration / 1e6))\n"
            "end\n"
        )
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(lua)
    output = subprocess.run(
        [wrk, "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s",
         "-s", fh.name, f"http://127.0.0.1:{PORT}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    os.unlink(fh.name)
    result = json.loads(output.split("JSON ", 1)[1].splitlines()[0])
    result["rps"] = result["requests"] / result["duration_s"]
    return result


def load_during_duplication(env, connections: int) -> dict:
    """The same load while ``find_duplicates`` re-clusters every service: the site must keep
    answering while the analysis runs."""
    command = subprocess.Popen(
        [PYTHON, "manage.py", "find_duplicates"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL
    )
    started = time.perf_counter()
    results = []
    while command.poll() is None:
        results.append(load_run(10, connections))
    seconds = time.perf_counter() - started
    if command.returncode != 0:
        raise SystemExit("find_duplicates failed during the load run")
    if not results or "error" in results[0]:
        return results[0] if results else {"error": "find_duplicates ended before any load"}
    merged = {
        key: sum(r[key] for r in results)
        for key in ("requests", "non2xx", "connect", "read", "write", "timeout")
    }
    merged["duration_s"] = sum(r["duration_s"] for r in results)
    merged["rps"] = merged["requests"] / merged["duration_s"]
    merged["p99_ms"] = max(r["p99_ms"] for r in results)
    merged["p50_ms"] = statistics.median(r["p50_ms"] for r in results)
    merged["find_duplicates_s"] = seconds
    return merged


def dedup_scale(sizes) -> list[tuple[int, float, float]]:
    rows = []
    for size in sizes:
        output = subprocess.run(
            [PYTHON, str(ROOT / "bench" / "dedup_scale.py"), "--services", str(size)],
            capture_output=True, text=True, check=True, cwd=ROOT,
        ).stdout  # fmt: skip
        seconds = float(re.search(r"find_clusters\s+([\d.]+) s", output).group(1))
        peak = float(re.search(r"peak memory \(RSS\)\s+([\d.]+) MiB", output).group(1))
        rows.append((size, seconds, peak))
        print(f"  dedup {size:>7,}: {seconds:.1f} s, {peak:.0f} MiB")
    return rows


def quality_lines() -> list[str]:
    """The method's quality beside its speed: pair figures on the tuning names (in sample) and
    on the held-out names (scored once when the method was frozen)."""
    from analysis import duplication

    names = duplication.municipality_names(ROOT / "fixtures" / "municipalities.json")
    parts = {
        "tune (in sample)": (ROOT / "tests" / "analysis" / "labelled_services.csv", "tune"),
        "held out": (ROOT / "tests" / "analysis" / "labelled_holdout.csv", "holdout"),
    }
    lines = [
        f"Quality of the same method (lexicon {duplication.load_lexicon().version}), pairs of "
        "services of different municipalities:",
        "",
        "| part | names | precision | recall | F1 |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for part, (path, split) in parts.items():
        scores = duplication.evaluate(duplication.load_labelled(path, names, split=split))
        lines.append(
            f"| {part} | {scores['records']} | {scores['precision']:.3f} | "
            f"{scores['recall']:.3f} | {scores['f1']:.3f} |"
        )
    return lines


def find_duplicates_scale(env, database_url: str, sizes, seed: int) -> list[tuple]:
    """``manage.py find_duplicates`` with its database, at each size: (services, seconds,
    peak RSS MiB). The full size runs on the bench database; smaller ones on a database of
    their own, so the bench data stays as it is."""
    rows = []
    for size in sizes:
        url = database_url
        if size != sizes[-1]:
            parts = urlsplit(database_url)
            url = parts._replace(path=parts.path + "_dedup").geturl()
            recreate_database(url)
            small = {**env, "DATABASE_URL": url}
            for command in (["migrate", "--noinput"], ["load_reference_data"]):
                manage(small, *command)
            manage(small, "generate_synthetic", "--services", str(size), "--seed", str(seed))
        seconds, peak = _run_measured([PYTHON, "manage.py", "find_duplicates"],
                                      {**env, "DATABASE_URL": url})  # fmt: skip
        rows.append((size, seconds, peak))
        print(f"  find_duplicates {size:>7,}: {seconds:.1f} s, {peak:.0f} MiB")
        if url != database_url:
            _drop_database(url)
    return rows


def _run_measured(command: list[str], env) -> tuple[float, float]:
    """Run ``command``; (seconds, peak RSS in MiB read from the kernel's high-water mark)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    peak = 0.0
    while process.poll() is None:
        try:
            status = Path(f"/proc/{process.pid}/status").read_text()
            peak = max(peak, int(re.search(r"VmHWM:\s*(\d+)", status).group(1)) / 1024)
        except (FileNotFoundError, AttributeError):
            pass
        time.sleep(0.05)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed")
    return time.perf_counter() - started, peak


def _drop_database(database_url: str) -> None:
    parts = urlsplit(database_url)
    admin = parts._replace(path="/postgres").geturl()
    name = parts.path.lstrip("/")
    subprocess.run(["psql", admin, "-q", "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'],
                   check=True)  # fmt: skip


# -- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=40, help="requests per page measured")
    parser.add_argument("--reuse", action="store_true", help="keep a filled bench database")
    parser.add_argument("--load-seconds", type=int, default=60)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    env = production_env(database_url)
    os.environ.update(env)  # this process measures pages with the same settings
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    setup = {}
    if not args.reuse:
        print(f"Preparing {database_url} …")
        recreate_database(database_url)
        setup["migrate"] = manage(env, "migrate", "--noinput")
        setup["load_reference_data"] = manage(env, "load_reference_data")
        setup["generate_synthetic"] = manage(
            env, "generate_synthetic", "--services", str(args.services), "--seed", str(args.seed)
        )
        setup["find_duplicates"] = manage(env, "find_duplicates")
        vacuum_analyze(database_url)
        for step, seconds in setup.items():
            print(f"  {step:22} {seconds:6.1f} s")

    manage(env, "collectstatic", "--noinput")  # the code may be newer than the data
    print("Pages (in process, DEBUG off) …")
    pages = measure_pages(args.repeat)
    print("Exports and load (gunicorn, 2 workers) …")
    with Gunicorn(env) as server:
        exports = [
            ("CSV, all rows", measure_export(server, {"format": "csv"})),
            (
                "CSV, 분야 administration (~10,000 rows)",
                measure_export(server, {"format": "csv", "category": "administration"}),
            ),
            ("JSON, all rows", measure_export(server, {"format": "json"})),
            ("XLSX, all rows", measure_export(server, {"format": "xlsx"})),
        ]
        load = load_run(args.load_seconds, args.connections)
        during = load_during_duplication(env, args.connections)
    print("Facet-only browsing beside Datasette …")
    from bench import facets  # after ROOT is on the path

    facet_lines = facets.render(facets.measure(database_url, 200, 30))
    print("Duplication (a subprocess per size) …")
    dedup = dedup_scale((10_000, 50_000, 100_000))
    print("find_duplicates with its database …")
    command_scale = find_duplicates_scale(
        env, database_url, (10_000, 50_000, args.services), args.seed
    )

    report = render(args, machine(), setup, pages, exports, dedup, command_scale, load, during)
    report += "\n" + "\n".join(facet_lines) + "\n"
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{dt.date.today().isoformat()}.md"
    path.write_text(report, encoding="utf-8")
    print()
    print(report)
    print(f"Written to {path.relative_to(ROOT)}")


def render(args, machine_line, setup, pages, exports, dedup, command_scale, load, during) -> str:
    lines = [
        f"# Benchmark {dt.datetime.now().isoformat(timespec='minutes')}",
        "",
        f"Machine: {machine_line}. Data: {args.services:,} synthetic services "
        f"(`generate_synthetic --seed {args.seed}`) over the 243 municipalities.",
        "",
    ]
    if setup:
        lines.append(
            "Setup: " + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in setup.items())
        )
        lines.append("")
    lines += [
        f"## Pages (server time, Django test client in process, DEBUG off, {args.repeat} "
        "requests each with varied parameters)",
        "",
        "| page | p50 ms | p95 ms | queries |",
        "| --- | ---: | ---: | ---: |",
    ]
    lines += [f"| {label} | {p50:.1f} | {p95:.1f} | {q} |" for label, p50, p95, q in pages]
    lines += [
        "",
        f"## Exports (gunicorn, 2 workers, --timeout {DEPLOYED_TIMEOUT} as deployed; RSS of the "
        "serving worker sampled every 20 ms)",
        "",
        "| export | first byte s | total s | MB | worker RSS before MiB | peak MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, (first, total, before, peak, size) in exports:
        lines.append(
            f"| {label} | {first:.2f} | {total:.2f} | {size / 1e6:.1f} | {before:.0f} | "
            f"{peak:.0f} |"
        )
    lines += _scale_table("Duplication (`find_clusters`, a subprocess per size)", dedup)
    lines += ["", *quality_lines()]
    lines += _scale_table(
        "`manage.py find_duplicates` (reads the services, clusters, stores the clusters)",
        command_scale,
    )
    lines += [
        "",
        f"## Load (gunicorn, 2 workers; wrk, {args.connections} connections, browse pages "
        "with varied filters)",
        "",
        "| run | seconds | requests/s | p50 ms | p99 ms | requests | non-2xx | socket errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines += [
        _load_row("steady", load),
        _load_row(
            f"while find_duplicates runs ({during.get('find_duplicates_s', 0):.0f} s)", during
        ),
    ]
    return "\n".join(lines) + "\n"


def _scale_table(title: str, rows) -> list[str]:
    return [
        "",
        f"## {title}",
        "",
        "| services | time s | peak RSS MiB |",
        "| ---: | ---: | ---: |",
        *(f"| {size:,} | {seconds:.1f} | {peak:.0f} |" for size, seconds, peak in rows),
    ]


def _load_row(label: str, load: dict) -> str:
    if "error" in load:
        return f"| {label} | {load['error']} | | | | | | |"
    errors = load["connect"] + load["read"] + load["write"] + load["timeout"]
    return (
        f"| {label} | {load['duration_s']:.0f} | {load['rps']:.1f} | {load['p50_ms']:.0f} | "
        f"{load['p99_ms']:.0f} | {load['requests']:,} | {load['non2xx']} | {errors} |"
    )


if __name__ == "__main__":
    main()
