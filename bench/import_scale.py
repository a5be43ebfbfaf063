"""Import benchmark: a researcher's file of N rows through the command and through the admin.

    .venv/bin/python bench/import_scale.py                  # 10,000 rows, demo catalog
    .venv/bin/python bench/import_scale.py --catalog 100000  # against 100,000 published services

Builds a throwaway PostgreSQL database (``BENCH_IMPORT_DATABASE_URL``, default
``postgres://postgres@127.0.0.1:5432/catalog_import_bench``; dropped and re-created), migrates
it, loads the reference data and the demo data (or, with ``--catalog N``, N synthetic services
instead, so that the preview's "same idea elsewhere" searches a large catalog) and runs the
duplication analysis,
then writes a synthetic researcher's CSV: N rows over all 243 local governments, named by
시·도 and name as people write them, a plan per municipality that does not exist yet, no 분야,
and 출처 cells holding an address and a note. Each step runs in a fresh process, so its time
includes loading Django, and the peak resident memory is that process's own:

- ``import_services FILE --create-plans --dry-run``: read, resolve, validate, suggest fields,
  find look-alikes, diff — the preview;
- ``import_services FILE --create-plans``: the same and the writes — the confirmation;
- the admin: one process posting the file to the catalog-wide import (the preview page,
  rendered) and then confirming it, timed per request, as a reviewer in the browser would;
- reading a 10,000-row XLSX whose every row holds one value in column XFD.

Synthetic data only, in a database of its own: never mixed with real data.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/catalog_import_bench"
WORK = ROOT / "bench" / "work"

sys.path.insert(0, str(ROOT / "bench"))

from run import recreate_database  # noqa: E402

from analysis.duplication import municipality_names  # noqa: E402
from bench.synthetic.generator import synthesise_names  # noqa: E402

ADMIN_DRIVER = """
import re, sys, time, resource
import django
django.setup()
from django.contrib.auth import get_user_model
from django.test import Client
path = sys.argv[1]
user, _ = get_user_model().objects.get_or_create(
    username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
)
client = Client()
client.force_login(user)
with open(path, "rb") as upload:
    started = time.perf_counter()
    preview = client.post("/admin/catalog/plan/import/", {"file": upload, "create_plans": "on"})
    previewed = time.perf_counter() - started
assert preview.status_code == 200, preview.status_code
found = re.search(r'name="token" value="([^"]+)"', preview.content.decode())
assert found, "the preview has errors: " + preview.content.decode()[:3000]
token = found.group(1)
started = time.perf_counter()
confirmed = client.post("/admin/catalog/plan/import/", {"confirm": "1", "token": token})
confirm_seconds = time.perf_counter() - started
assert confirmed.status_code == 302, confirmed.status_code
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{previewed:.2f} {confirm_seconds:.2f} {peak:.0f} {len(preview.content)}")
"""

XLSX_DRIVER = """
import sys, time, resource
started = time.perf_counter()
import django
django.setup()
from catalog.importing import read_table
data = open(sys.argv[1], "rb").read()
begun = time.perf_counter()
table = read_table(data, "far.xlsx")
elapsed = time.perf_counter() - begun
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{elapsed:.2f} {peak:.0f} {len(table.rows)} {len(data)}")
"""


def env_for(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "1",
        "LOG_LEVEL": "WARNING",
        "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost",
        "SYNTHETIC_DATA": "1",
    }


def run(env, *args, stdin_script: str | None = None) -> tuple[float, float, str]:
    """Run ``args`` in a fresh process: (seconds, peak MiB of that process, its stdout)."""
    command = [
        "/usr/bin/time",
        "-f",
        "%M",
        *args,
    ]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"failed: {' '.join(args)}")
    peak_kib = float(done.stderr.strip().splitlines()[-1])
    return elapsed, peak_kib / 1024, done.stdout


def researcher_file(path: Path, rows: int, seed: int) -> int:
    """N rows as a researcher would type them: 시·도 and name, plan title, year, no 분야.
    Returns how many plans the file names."""
    names = municipality_names(ROOT / "fixtures" / "municipalities.json")
    local = {code: name for code, name in names.items() if not code.endswith("000")}
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["시·도", "자치단체", "계획명", "계획연도", "서비스명", "설명", "출처"])
        seen = set()
        for code, name, description in synthesise_names(rows * 2, local, seed=seed):
            if len(seen) == rows:
                break
            sido, _space, city = names[code].partition(" ")
            title = f"{city} 스마트도시계획 (합성 {seed})"
            if (code, title, name) in seen:
                continue
            seen.add((code, title, name))
            year = 2019 + int(code) % 6
            source = (
                f"https://www.example.go.kr/{code}/plan (합성 보도 "
                f"{year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)})"
            )
            writer.writerow([sido, city, title, year, name, description, source])
    return len({(code, title) for code, title, _name in seen})


def far_xlsx(path: Path, rows: int) -> None:
    """A workbook whose every row holds one value in column XFD (see tests/catalog)."""
    from tests.catalog.workbooks import sparse_xlsx

    path.write_bytes(sparse_xlsx(rows))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--catalog", type=int, default=0, help="synthetic services beforehand")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_IMPORT_DATABASE_URL", DEFAULT_URL)
    env = env_for(database_url)
    WORK.mkdir(exist_ok=True)

    def fresh_catalog() -> None:
        recreate_database(database_url)
        for step in (["migrate", "-v0"], ["load_reference_data", "-v0"]):
            run(env, PYTHON, "manage.py", *step)
        if args.catalog:  # synthetic data is never mixed with the real demo data
            run(env, PYTHON, "manage.py", "generate_synthetic", "--services", str(args.catalog))
        else:
            run(env, PYTHON, "manage.py", "load_demo_data", "-v0")
        run(env, PYTHON, "manage.py", "find_duplicates", "-v0")

    csv_path = WORK / f"researcher-{args.rows}.csv"
    plans = researcher_file(csv_path, args.rows, args.seed)
    file_kib = csv_path.stat().st_size / 1024
    results = []

    fresh_catalog()
    command = [PYTHON, "manage.py", "import_services", str(csv_path), "--create-plans"]
    seconds, peak, _out = run(env, *command, "--dry-run")
    results.append(("command preview (--dry-run)", seconds, peak))
    print(results[-1], flush=True)
    seconds, peak, _out = run(env, *command)
    results.append(("command preview + write", seconds, peak))
    print(results[-1], flush=True)

    def driven(name: str, script: str, argument: Path) -> tuple[float, str]:
        """Run ``script`` with Django set up in a fresh process: (its peak MiB, its stdout)."""
        driver = WORK / name
        driver.write_text(script)
        driver_env = {**env, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(ROOT)}
        _seconds, peak_mib, out = run(driver_env, PYTHON, str(driver), str(argument))
        return peak_mib, out

    fresh_catalog()
    peak, out = driven("admin_driver.py", ADMIN_DRIVER, csv_path)
    previewed, confirmed, _peak, page_bytes = out.split()
    results.append(("admin preview request (page rendered)", float(previewed), peak))
    results.append(("admin confirm request", float(confirmed), peak))

    xlsx_path = WORK / "far-10000.xlsx"
    far_xlsx(xlsx_path, 10_000)
    peak, out = driven("xlsx_driver.py", XLSX_DRIVER, xlsx_path)
    read_seconds, _peak, xlsx_rows, xlsx_bytes = out.split()

    print(
        f"\nImport of {args.rows:,} rows ({file_kib:,.0f} KiB CSV, "
        f"{plans:,} new plans), "
        f"catalog: {f'{args.catalog:,} synthetic services' if args.catalog else 'demo data'}; "
        "PostgreSQL, each step a fresh process\n"
    )
    print("| step | seconds | peak MiB |\n| --- | ---: | ---: |")
    for label, seconds, peak_mib in results:
        print(f"| {label} | {seconds:.1f} | {peak_mib:.0f} |")
    print(f"\nadmin preview page: {int(page_bytes) / 1024 / 1024:.1f} MiB of HTML")
    print(
        f"XLSX with a value in column XFD on {int(xlsx_rows):,} rows ({int(xlsx_bytes) / 1024:.0f} "
        f"KiB): read in {float(read_seconds):.2f} s, process peak {peak:.0f} MiB"
    )


if __name__ == "__main__":
    main()
