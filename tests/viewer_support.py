"""Helpers for the viewer tests: a hand-made run and fleet directory, raw HTTP, and headless Chromium."""

from __future__ import annotations

import http.client
import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

ARTIFACTS = Path(os.environ.get("WORLDBUILDER_TEST_ARTIFACTS", "build/test-artifacts")) / "viewer"
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1000")


def raw_get(base_url: str, path: str) -> tuple[int, bytes]:
    """GET ``path`` sent byte for byte (no client-side normalisation of ``..`` or %-escapes)."""
    u = urlsplit(base_url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    try:
        conn.putrequest("GET", path, skip_accept_encoding=True)
        conn.endheaders()
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def write_jsonl(path: Path, recs: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")


def make_run(run: Path, user: str = "Test User", points: float = 42, max_points: float = 120) -> Path:
    """A small, hand-made completed run directory with a judgement.json and a report.html."""
    (run / "deliverables" / "dlv_001").mkdir(parents=True)
    (run / "deliverables" / "dlv_001" / "notes.md").write_text("# Draft\n\nQuarterly figures.\n")
    (run / "objectives.json").write_text(json.dumps({
        "format": "1.0", "computer_id": "x", "user": user, "occupation": "analyst", "backend": "offline", "days": 2,
        "deliverables": [{"id": "dlv_001", "title": "Quarterly note", "description": "Write it.", "stakeholders": [],
                          "due_day": 2, "outputs": [{"path": "Deliverables/notes.md", "format": "md"}], "sources": [],
                          "rubric": [{"id": "dlv_001.c01", "text": "file is valid", "points": 120,
                                      "check": {"type": "file_valid"}}]}]}))
    (run / "run.json").write_text(json.dumps({"run_id": run.name, "agent": "offline", "collaborators": "offline",
                                              "runtime": "local", "days": 2, "turns_per_day": 5}))
    write_jsonl(run / "daily_sim_turns.jsonl", [
        {"turn": 1, "day": 1, "actor": "agent", "tool": "shell", "args": {"cmd": "ls"}, "result": "Documents"},
        {"turn": 2, "day": 1, "actor": "agent", "tool": "read_file", "args": {"path": "nope"}, "result": "no such file",
         "error": True},
        {"turn": 3, "day": 2, "actor": "agent", "tool": "write_file", "args": {"path": "Deliverables/notes.md"},
         "result": "ok"}])
    write_jsonl(run / "messages.jsonl", [{"id": "m1", "day": 1, "direction": "to_user", "sender": "p01", "to": ["user"],
                                         "subject": "Kickoff", "body": "Please start.", "kind": "kickoff"}])
    (run / "snapshots.json").write_text(json.dumps({"snapshots": []}))
    (run / "summary.json").write_text(json.dumps({"run_id": run.name, "status": "completed", "days_completed": 2,
                                                  "turns": 3, "errors": 1, "error_rate": 0.33, "wall_seconds": 1}))
    (run / "judgement.json").write_text(json.dumps({
        "schema_version": "1", "run": run.name, "judge": "offline", "day": None,
        "total": {"points": points, "max": max_points, "judged_max": max_points},
        "deliverables": [{"id": "dlv_001", "title": "Quarterly note", "points": points, "max": max_points,
                          "items": [{"id": "dlv_001.c01", "kind": "file_valid", "points": points, "max": max_points,
                                     "status": "scored", "evidence": "notes.md opens", "rationale": "valid"}]}],
        "fabrications": [], "meta": {"future_field": {"nested": [1, 2]}}}))
    (run / "report.html").write_text("<html><body><h1>Run report</h1><p>All good.</p></body></html>")
    return run


def make_fleet(fleet: Path, computer: Path | None = None) -> Path:
    """A small hand-made fleet: three jobs at different stages, two judged runs, one failure."""
    fleet.mkdir(parents=True)
    (fleet / "fleet.json").write_text(json.dumps({"stages": ["generate", "simulate", "judge"], "engine": "docker",
                                                  "size": "small", "days": 2, "created": "2026-01-01T00:00:00Z"}))
    recs = []
    for n, (persona, states) in enumerate([("a nurse", ("done", "done", "done")), ("a chef", ("done", "done", "done")),
                                           ("a pilot", ("done", "failed", None))], 1):
        job = f"j{n:04d}"
        for stage, state in zip(("generate", "simulate", "judge"), states, strict=True):
            if state is None:
                continue
            out = f"jobs/{job}/computer" if stage == "generate" else f"jobs/{job}/run"
            recs.append({"job": job, "persona": persona, "stage": stage, "state": "running", "attempt": 1,
                         "started": "2026-01-01T00:00:00Z", "ended": None, "seconds": None, "output": out,
                         "error": None, "node": "local"})
            recs.append({**recs[-1], "state": state, "ended": "2026-01-01T00:01:00Z", "seconds": 60.0,
                         "error": "boom" if state == "failed" else None})
        if states[2] == "done":
            make_run(fleet / "jobs" / job / "run", user=persona, points=30 * n, max_points=120)
    if computer is not None:
        shutil.copytree(computer, fleet / "jobs" / "j0001" / "computer")
    write_jsonl(fleet / "manifest.jsonl", recs)
    return fleet


def chrome(user_data_dir: Path):
    """Headless Debian Chromium through chromedriver, with the browser console log enabled."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in CHROME_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={user_data_dir}")
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(service=service, options=opts)


def console_errors(driver) -> list[str]:  # noqa: ANN001
    return [e["message"] for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
