"""Facet-only browsing at 100,000 services, beside Datasette on the same rows.

    .venv/bin/python bench/facets.py [--urls 200] [--load-seconds 30]

Needs the filled bench database (``bench/run.py`` makes it), ``redis-server`` and ``wrk``.

What users do, and what the figures describe:

1. 200 distinct URLs, each with 1–3 values of 분야, 시·도 and 상태 and no search.
2. *First views*: gunicorn (2 workers, production settings, the shared Redis cache emptied)
   starts, one service is edited (the catalog revision moves, as after any staff change), and
   each URL is requested once. Nothing is cached: the first request builds the facet index of
   the new revision, which every later request of either worker reads. No analysis worker runs,
   so no index is prepared ahead of the visitors (with one, the build leaves the visitors'
   path entirely). A second pass requests the same URLs again.
3. Datasette (in its own virtual environment under ``bench/work/``) serves the same rows from
   SQLite with indexes on each faceted column, faceting on the same columns; its request for
   each URL is made right after the app's, so both see the same machine load.
4. The row counts of both sides are compared for every URL.
5. Throughput: ``wrk``, 8 connections, rotating through the 200 URLs, on each side.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.run import (  # noqa: E402
    DEFAULT_URL,
    PORT,
    RESULTS,
    Gunicorn,
    _free_port,
    machine,
    manage,
    percentile,
    production_env,
)

WORK = ROOT / "bench" / "work"
DATASETTE_VENV = WORK / "datasette-venv"
DATASETTE_VERSION = "0.65.5"
SQLITE_COPY = WORK / "catalog.db"
CATEGORIES = [
    "transport",
    "safety-disaster",
    "environment-energy-water",
    "administration",
    "health-welfare",
    "culture-tourism-sports",
    "education",
    "housing",
]
SIDOS = ["11", "26", "27", "28", "29", "30", "41", "43", "44", "46", "47", "48", "50", "51", "52"]
STATUSES = ["planned", "built", "operating", "suspended"]
COUNT_ON_PAGE = re.compile(r"서비스 ([\d,]+)개")


def facet_selections(count: int, seed: int = 12) -> list[dict[str, list[str]]]:
    """``count`` distinct selections of 1–3 values in one to three of the facets."""
    rng = random.Random(seed)
    chosen, seen = [], set()
    facets = {"category": CATEGORIES, "sido": SIDOS, "status": STATUSES}
    while len(chosen) < count:
        selection = {}
        for name in rng.sample(sorted(facets), rng.randint(1, 3)):
            selection[name] = sorted(rng.sample(facets[name], rng.randint(1, 3)))
        key = json.dumps(selection, sort_keys=True)
        if key not in seen:
            seen.add(key)
            chosen.append(selection)
    return chosen


def app_path(selection: dict[str, list[str]]) -> str:
    return "/services/?" + urlencode(
        [(name, value) for name, values in selection.items() for value in values]
    )


def datasette_path(selection: dict[str, list[str]], fmt: str = "") -> str:
    params = [(f"{name}__in", ",".join(values)) for name, values in selection.items()]
    params += [("_facet", name) for name in ("category", "sido", "status", "kind")]
    params += [("_sort", "name"), ("_size", "20")]
    return f"/catalog/services{fmt}?" + urlencode(params)


# -- Datasette on the same rows ------------------------------------------------------------


def ensure_datasette() -> Path:
    binary = DATASETTE_VENV / "bin" / "datasette"
    if not binary.exists():
        subprocess.run([sys.executable, "-m", "venv", str(DATASETTE_VENV)], check=True)
        subprocess.run(
            [
                str(DATASETTE_VENV / "bin" / "pip"),
                "install",
                "-q",
                f"datasette=={DATASETTE_VERSION}",
            ],
            check=True,
        )
    return binary


def copy_to_sqlite(database_url: str) -> int:
    """The published services with their facet values, as one SQLite table for Datasette."""
    import psycopg2

    SQLITE_COPY.unlink(missing_ok=True)
    with psycopg2.connect(database_url) as source, source.cursor() as cursor:
        cursor.execute(
            """
            SELECT s.id, s.name, c.code, sc.code, substr(m.code, 1, 2), m.code, p.kind, s.status
            FROM catalog_service s
            JOIN catalog_plan p ON p.id = s.plan_id
            JOIN catalog_municipality m ON m.id = p.municipality_id
            JOIN catalog_category c ON c.id = s.category_id
            LEFT JOIN catalog_subcategory sc ON sc.id = s.subcategory_id
            WHERE s.is_published
            """
        )
        rows = cursor.fetchall()
    target = sqlite3.connect(SQLITE_COPY)
    target.execute(
        "CREATE TABLE services (id INTEGER PRIMARY KEY, name TEXT, category TEXT, "
        "subcategory TEXT, sido TEXT, municipality TEXT, kind TEXT, status TEXT)"
    )
    target.executemany("INSERT INTO services VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows)
    for column in ("name", "category", "sido", "municipality", "kind", "status"):
        target.execute(f"CREATE INDEX services_{column} ON services ({column})")
    target.commit()
    target.execute("ANALYZE")
    target.close()
    return len(rows)


class Datasette:
    def __init__(self, binary: Path):
        self.binary = binary
        self.port = _free_port()

    def __enter__(self):
        self.process = subprocess.Popen(
            [str(self.binary), "serve", str(SQLITE_COPY), "--port", str(self.port),
             "--setting", "sql_time_limit_ms", "20000",
             "--setting", "facet_time_limit_ms", "20000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for(f"http://127.0.0.1:{self.port}/-/versions.json")
        return self

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def _wait_for(url: str, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            if time.time() > deadline:
                raise
            time.sleep(0.3)


# -- measuring ------------------------------------------------------------------------------


def timed_get(url: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = response.read()
    return (time.perf_counter() - started) * 1000, body


def edit_one_service(env) -> None:
    """A staff edit: one service's description changes, which moves the catalog revision."""
    manage(
        env,
        "shell",
        "-c",
        "from catalog.models import Service; s = Service.objects.published().first(); "
        "s.description = (s.description or '') + ' '; s.save()",
    )


def interleaved_pass(selections, app: str, datasette: str) -> dict:
    app_ms, datasette_ms, mismatches = [], [], []
    for selection in selections:
        elapsed, body = timed_get(app + app_path(selection))
        app_ms.append(elapsed)
        elapsed, _ = timed_get(datasette + datasette_path(selection))
        datasette_ms.append(elapsed)
        shown = COUNT_ON_PAGE.search(body.decode())
        _, payload = timed_get(datasette + datasette_path(selection, ".json"))
        expected = json.loads(payload)["filtered_table_rows_count"]
        if not shown or int(shown.group(1).replace(",", "")) != expected:
            mismatches.append((app_path(selection), shown and shown.group(1), expected))
    return {"app": app_ms, "datasette": datasette_ms, "mismatches": mismatches}


def wrk_run(base: str, paths: list[str], seconds: int, connections: int = 8) -> dict:
    wrk = shutil.which("wrk")
    if not wrk:
        return {"error": "wrk not installed (apt-get install -y wrk)"}
    lua = (
        "paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
        "counter = 0\n"
        "request = function()\n"
        "  counter = counter + 1\n"
        "  return wrk.format('GET', paths[(counter % #paths) + 1])\n"
        "end\n"
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format(\'JSON {"requests": %d, "non2xx": %d, "errors": %d, '
        '"p50_ms": %.1f, "p99_ms": %.1f, "duration_s": %.2f}\\n\', summary.requests, '
        "summary.errors.status, summary.errors.connect + summary.errors.read + "
        "summary.errors.write + summary.errors.timeout, latency:percentile(50) / 1000, "
        "latency:percentile(99) / 1000, summary.duration / 1e6))\n"
        "end\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua)
    output = subprocess.run(
        [wrk, "-t", "2", "-c", str(connections), "-d", f"{seconds}s", "--timeout", "20s",
         "-s", script.name, base],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    os.unlink(script.name)
    result = json.loads(output.split("JSON ", 1)[1].splitlines()[0])
    result["rps"] = result["requests"] / result["duration_s"]
    return result


class Redis:
    """A throwaway ``redis-server`` for the shared cache, as compose runs one."""

    def __init__(self):
        self.port = _free_port()

    def __enter__(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        return f"redis://127.0.0.1:{self.port}/0"

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(timeout=30)


def measure(database_url: str, urls: int, load_seconds: int) -> dict:
    selections = facet_selections(urls)
    rows = copy_to_sqlite(database_url)
    datasette_binary = ensure_datasette()
    results = {"rows": rows, "urls": urls}
    with Redis() as cache_url, Datasette(datasette_binary) as datasette:
        env = production_env(database_url) | {"CACHE_URL": cache_url}
        ds = f"http://127.0.0.1:{datasette.port}"
        app = f"http://127.0.0.1:{PORT}"
        timed_get(ds + datasette_path(selections[0]))  # Datasette opens the file once
        with Gunicorn(env, warm=False):
            edit_one_service(env)
            print("  first views (after a restart and an edit) …")
            results["first"] = interleaved_pass(selections, app, ds)
            print("  second pass …")
            results["second"] = interleaved_pass(selections, app, ds)
            paths = [app_path(s) for s in selections]
            print("  wrk, app …")
            results["wrk_app"] = wrk_run(app, paths, load_seconds)
        print("  wrk, Datasette …")
        results["wrk_datasette"] = wrk_run(
            ds, [datasette_path(s) for s in selections], load_seconds
        )
    return results


def render(results: dict) -> list[str]:
    lines = [
        f"## Facet-only browsing ({results['urls']} distinct URLs, 1–3 values of 분야, 시·도 "
        f"and 상태, no search; {results['rows']:,} published services)",
        "",
        "App: gunicorn, 2 workers, production settings, a shared Redis cache emptied before the "
        "run; one service edited after the start, so nothing is cached: the first request "
        "builds the new revision's facet index, later requests of either worker read it. "
        "No analysis worker prepares it ahead. Datasette "
        f"{DATASETTE_VERSION}: the same rows in SQLite with an index on each faceted column, "
        "one process. Requests alternate between the two; times are client-side.",
        "",
        "| workload | app p50 ms | app p95 ms | app max ms | Datasette p50 ms | "
        "Datasette p95 ms | p95 ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, label in (("first", "first view of each URL"), ("second", "second pass")):
        app, ds = results[key]["app"], results[key]["datasette"]
        lines.append(
            f"| {label} | {statistics.median(app):.1f} | {percentile(app, 95):.1f} | "
            f"{max(app):.0f} | {statistics.median(ds):.1f} | {percentile(ds, 95):.1f} | "
            f"{percentile(ds, 95) / percentile(app, 95):.1f}× |"
        )
    mismatches = results["first"]["mismatches"] + results["second"]["mismatches"]
    lines += [
        "",
        f"Row counts equal on both sides for {2 * results['urls'] - len(mismatches)} of "
        f"{2 * results['urls']} requests."
        + (f" Differences: {mismatches[:5]}" if mismatches else ""),
        "",
        "| wrk, 8 connections, rotating the URLs | requests/s | p50 ms | p99 ms | non-2xx | "
        "errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, label in (("wrk_app", "app"), ("wrk_datasette", "Datasette")):
        run = results[key]
        if "error" in run:
            lines.append(f"| {label} | {run['error']} | | | | |")
            continue
        lines.append(
            f"| {label} | {run['rps']:.1f} | {run['p50_ms']:.1f} | {run['p99_ms']:.1f} | "
            f"{run['non2xx']} | {run['errors']} |"
        )
    if "error" not in results["wrk_app"] and "error" not in results["wrk_datasette"]:
        ratio = results["wrk_app"]["rps"] / results["wrk_datasette"]["rps"]
        lines += ["", f"Throughput ratio, app ÷ Datasette: {ratio:.1f}×."]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--urls", type=int, default=200)
    parser.add_argument("--load-seconds", type=int, default=30)
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    manage(production_env(database_url), "collectstatic", "--noinput")
    results = measure(database_url, args.urls, args.load_seconds)
    report = "\n".join(
        [f"# Facet benchmark, {dt.date.today()}", "", machine(), "", *render(results)]
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{dt.date.today().isoformat()}-facets.md"
    path.write_text(report + "\n", encoding="utf-8")
    print(report)
    print(f"Written to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
