"""Place resolution cost: what the gazetteer fallback adds to persona parsing (cold, in fresh processes).

Usage: python benchmarks/places_bench.py [--runs 5]

Prints medians over ``--runs`` fresh interpreters:
- import of ``worldbuilder.generate.places`` (the gazetteer module is imported, its data is not read);
- first ``place_of`` of a persona the city table resolves (target: the gazetteer city file is never opened);
- the table, regions and locale packs every fallback needs (loaded by "a nurse in Vermont"), then the first
  ``place_of`` of a persona only the gazetteer resolves (opens ``gazetteer.tsv.gz``: the added cost), and a warm one;
- the same first lookup with the alternative the module rejected: a dict index built over every row;
- peak RSS growth of the first gazetteer lookup.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys

_PROBE = r"""
import json, resource, sys, time
t0 = time.perf_counter()
from worldbuilder.generate import gazetteer, places
t1 = time.perf_counter()
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = {"import": t1 - t0}
if sys.argv[1] == "table":
    t = time.perf_counter(); places.place_of("a chemistry teacher in Leeds"); out["first"] = time.perf_counter() - t
    out["opened"] = gazetteer._city_lines.cache_info().currsize
elif sys.argv[1] == "gazetteer":
    t = time.perf_counter(); places.place_of("a nurse in Vermont")  # loads the table, regions and packs
    out["table_load"] = time.perf_counter() - t
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter(); places.place_of("a luthier in Cremona who restores violins")
    out["first"] = time.perf_counter() - t
    t = time.perf_counter(); places.place_of("a potter near Faenza"); out["warm"] = time.perf_counter() - t
    out["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
else:  # the alternative: a dict from key to rows, built on first use
    t = time.perf_counter()
    index = {}
    for line in gazetteer._lines("gazetteer.tsv.gz", compressed=True):
        row = line.split("\t")
        index.setdefault(row[0], []).append(row)
    index.get("cremona")
    out["first"] = time.perf_counter() - t
    out["rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0
print(json.dumps(out))
"""


def probe(kind: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _PROBE, kind], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    runs = ap.parse_args().runs
    res = {kind: [probe(kind) for _ in range(runs)] for kind in ("table", "gazetteer", "dict")}

    def med(kind: str, field: str, scale: float = 1000.0) -> float:
        return statistics.median(r[field] for r in res[kind]) * scale

    print(f"fresh processes: {runs} per row (medians)")
    print(f"import worldbuilder.generate.places:          {med('table', 'import'):7.1f} ms")
    print(f"first place_of, table persona (Leeds):        {med('table', 'first'):7.2f} ms; "
          f"gazetteer opened in {sum(r['opened'] for r in res['table'])}/{runs} runs (target 0)")
    print(f"table + regions + packs (a nurse in Vermont): {med('gazetteer', 'table_load'):7.1f} ms")
    print(f"then first gazetteer persona (Cremona):       {med('gazetteer', 'first'):7.1f} ms "
          f"(bisect over the sorted rows); warm lookup (Faenza) {med('gazetteer', 'warm'):.2f} ms; "
          f"+{med('gazetteer', 'rss_kb', 1 / 1024):.1f} MB peak RSS")
    print(f"  alternative: dict index over every row:     {med('dict', 'first'):7.1f} ms; "
          f"+{med('dict', 'rss_kb', 1 / 1024):.1f} MB peak RSS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
