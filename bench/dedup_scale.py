"""Scale benchmark of ``analysis.duplication.find_clusters`` on synthetic services.

    .venv/bin/python bench/dedup_scale.py --services 100000

Synthesises N services over the 243 municipalities of ``fixtures/municipalities.json`` with
``bench.synthetic.generator.synthesise_names`` (real smart-city service patterns dressed in
the wording and spacing variants that plans use, plus a long tail of one-off local services).
It then runs ``find_clusters`` once and prints the wall time and the peak resident memory of the
process (``resource.getrusage(RUSAGE_SELF).ru_maxrss``).

Synthetic data only: it is never written to the database and never mixed with real data.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analysis.duplication import (  # noqa: E402
    Parameters,
    Record,
    build_normaliser,
    find_clusters,
    municipality_names,
)
from bench.synthetic.generator import synthesise_names  # noqa: E402


def synthesise(n: int, seed: int = 7, tail: float = 0.3) -> list[Record]:
    """N synthetic services (a share ``tail`` of them local one-offs); deterministic."""
    names = municipality_names(ROOT / "fixtures" / "municipalities.json")
    rows = synthesise_names(n, names, seed=seed, tail=tail)
    return [
        Record(i, code, name, description, names[code])
        for i, (code, name, description) in enumerate(rows)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--tail", type=float, default=0.3, help="share of local one-off services (default 0.3)"
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=VALUE",
        help="override a Parameters field, e.g. --set neighbours=20",
    )
    args = parser.parse_args()
    overrides = dict(item.split("=", 1) for item in args.set)
    params = Parameters.from_dict(
        {**Parameters().to_dict(), **{key: json.loads(value) for key, value in overrides.items()}}
    )

    t0 = time.perf_counter()
    records = synthesise(args.services, args.seed, args.tail)
    t1 = time.perf_counter()
    before_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    clusters = find_clusters(records, params)
    t2 = time.perf_counter()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    normaliser = build_normaliser(records, params)
    distinct = len({normaliser.normalise(r.name, r.municipality_name) for r in records})

    sizes = sorted((c.size for c in clusters), reverse=True)
    clustered = sum(sizes)
    shared_cities = Counter(len(c.municipality_codes) for c in clusters)
    median_cities = sorted(shared_cities.elements())[len(clusters) // 2] if clusters else 0
    print(f"services              {len(records):>10,}")
    print(f"distinct normalised   {distinct:>10,}")
    print(f"synthesis             {t1 - t0:>10.1f} s")
    print(f"find_clusters         {t2 - t1:>10.1f} s   (wall time)")
    print(f"peak memory (RSS)     {peak_mib:>10.0f} MiB (whole process; {before_mib:.0f} before)")
    print(f"clusters              {len(clusters):>10,}")
    print(f"services clustered    {clustered:>10,} ({clustered / max(len(records), 1):.0%})")
    print(f"largest clusters      {sizes[:8]}")
    print(f"median cities/cluster {median_cities:>10}")
    for c in clusters[:5]:
        print(f"  {c.label!r}: {c.size} services, {len(c.municipality_codes)} municipalities")


if __name__ == "__main__":
    main()
