"""Viewer speed: server time (the app's Server-Timing header) of a 600-file computer's pages.

Generates a `--size large` computer (600 files) unless a computer directory is given, serves it on a free
localhost port and prints medians over N requests: the tree page warm (computer cached in memory) against the
same page with a cold load each time (spec.json + manifest.json re-read), the profile page, and a docx preview
uncached against cached, and the pages of a
synthetic 20-day run (5,000 turns).   Usage: python benchmarks/viewer_bench.py [COMPUTER_DIR] [--n N]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from worldbuilder import api  # noqa: E402
from worldbuilder.viewer import computers, runs  # noqa: E402
from worldbuilder.viewer.roots import discover  # noqa: E402
from worldbuilder.viewer.server import BackgroundServer  # noqa: E402

TARGET_MS = 300.0


def make_big_run(run: Path, days: int = 20, per_day: int = 250) -> int:
    """A synthetic 20-day run dir (turn records shaped like the offline agent's); returns the turn count."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    from viewer_support import make_run

    make_run(run)
    tools = ("shell", "read_file", "write_file", "read_inbox", "make_document", "send_message")
    n = 0
    with open(run / "daily_sim_turns.jsonl", "w") as fh:
        for day in range(1, days + 1):
            for i in range(per_day):
                n += 1
                tool = tools[i % len(tools)]
                fh.write(json.dumps({"turn": n, "day": day, "actor": "agent", "tool": tool,
                                     "args": {"path": f"Deliverables/d{day}/f{i}.docx", "cmd": "ls -la ~ " * 5},
                                     "result": ("output line " * 60)[:700], "error": i % 37 == 0,
                                     "duration_ms": 12.5}) + "\n")
    (run / "run.json").write_text(json.dumps({"run_id": run.name, "agent": "offline", "days": days,
                                              "turns_per_day": per_day}))
    return n


def server_ms(port: int, path: str) -> tuple[float, float, int]:
    """(server ms from Server-Timing, client wall ms, body bytes) of one GET."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t = time.perf_counter()
    conn.request("GET", path)
    resp = conn.getresponse()
    body = resp.read()
    wall = (time.perf_counter() - t) * 1000
    conn.close()
    assert resp.status == 200, (path, resp.status)
    dur = float(resp.getheader("Server-Timing").split("dur=")[1])
    return dur, wall, len(body)


def series(port: int, path: str, n: int, before=None) -> dict:  # noqa: ANN001
    out = []
    for _ in range(n):
        if before:
            before()
        out.append(server_ms(port, path))
    ms = sorted(x[0] for x in out)
    return {"median_ms": round(statistics.median(ms), 1), "p90_ms": round(ms[int(0.9 * (len(ms) - 1))], 1),
            "wall_median_ms": round(statistics.median(x[1] for x in out), 1), "bytes": out[0][2]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("computer", nargs="?", type=Path)
    ap.add_argument("--n", type=int, default=30)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory()
    comp = args.computer
    if comp is None:
        comp = Path(tmp.name) / "large"
        t = time.perf_counter()
        api.generate("a senior financial advisor at a wealth management firm in Denver", comp, seed=0, size="large")
        print(f"generated {comp} in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    manifest = json.loads((comp / "manifest.json").read_text())
    biggest = {t: max((p for p in manifest if p.endswith(f".{t}")), key=lambda p: manifest[p]["size"], default=None)
               for t in ("docx", "xlsx", "pptx", "pdf")}
    srv = BackgroundServer([comp], cache_dir=Path(tmp.name) / "cache")
    with srv:
        port, cid = srv.port, discover([comp])[0].id
        first = server_ms(port, f"/c/{cid}/tree")
        results = {
            "files": len(manifest),
            "tree first request (cold load) ms": round(first[0], 1),
            "tree warm": series(port, f"/c/{cid}/tree", args.n),
            "tree cold load every request": series(port, f"/c/{cid}/tree", max(5, args.n // 3),
                                                   before=computers._cache.clear),
            "profile+world warm": series(port, f"/c/{cid}", args.n),
            "computers list warm": series(port, "/computers", args.n),
        }
        for t, rel in biggest.items():
            if rel is None:
                continue
            preview = f"/c/{cid}/file/{quote(rel)}"
            uncached = series(port, preview, max(5, args.n // 3), before=srv.app.state.viewer.previews._d.clear)
            cached = series(port, preview, args.n)
            results[f"largest {t} preview ({manifest[rel]['size']} B) median ms"] = {
                "uncached": uncached["median_ms"], "cached": cached["median_ms"]}
    run = Path(tmp.name) / "runs" / "big"
    n = make_big_run(run)
    srv = BackgroundServer([run], cache_dir=Path(tmp.name) / "cache")
    with srv:
        rid = discover([run])[0].id
        results[f"run page, {n} turns over 20 days, warm"] = series(srv.port, f"/r/{rid}", args.n)
        results["run page, logs re-read every request"] = series(srv.port, f"/r/{rid}", max(5, args.n // 3),
                                                                 before=runs._LOGS.clear)
        results["day page (250 turns) warm"] = series(srv.port, f"/r/{rid}/day/10", args.n)
    print(json.dumps(results, indent=1))
    verdict = "PASS" if results["tree warm"]["median_ms"] < TARGET_MS else "FAIL"
    print(f"{verdict}: tree page of {len(manifest)} files, median server time {results['tree warm']['median_ms']} ms "
          f"(target < {TARGET_MS:.0f} ms)")
    tmp.cleanup()


if __name__ == "__main__":
    main()
