"""The viewer over real HTTP (uvicorn on a free port): path safety per traversal kind, unknown ids, the
preview cache, root classification, and `worldbuilder serve` itself."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from viewer_support import make_fleet, make_run, raw_get

from worldbuilder import api
from worldbuilder.viewer.roots import classify, discover
from worldbuilder.viewer.safepath import Refused, resolve_inside
from worldbuilder.viewer.server import BackgroundServer

WB = str(Path(sys.executable).parent / "worldbuilder")
SECRET = b"root:"  # first bytes of /etc/passwd


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A generated small computer with planted symlinks to /etc, a hand-made run and fleet, served."""
    base = tmp_path_factory.mktemp("viewer")
    comp = base / "computers" / "c1"
    api.generate("a school nurse in Ohio", comp, seed=1, size="small")
    manifest = json.loads((comp / "manifest.json").read_text())
    home = next(iter(manifest)).split("/")[0]
    (comp / "tree" / home / "etc").symlink_to("/etc")
    (comp / "tree" / home / "passwd.txt").symlink_to("/etc/passwd")
    make_run(base / "runs" / "r1")
    make_fleet(base / "fleet")
    with BackgroundServer([base], cache_dir=base / "cache") as url:
        _, body = raw_get(url, "/computers")
        cid = re.search(rb'href="/c/([^"/]+)"', body).group(1).decode()
        _, body = raw_get(url, "/runs")
        rid = re.search(rb'href="/r/(r1-[^"/]+)"', body).group(1).decode()
        yield {"url": url, "cid": cid, "rid": rid, "home": home, "comp": comp, "manifest": manifest}


def refused(site, path: str) -> None:
    status, body = raw_get(site["url"], path)
    assert status in (403, 404), (path, status)
    assert SECRET not in body and b"/bin/bash" not in body, path


@pytest.mark.parametrize("prefix", ["/c/{cid}/file/", "/c/{cid}/raw/", "/c/{cid}/render/", "/r/{rid}/file/",
                                    "/r/{rid}/raw/", "/static/"])
def test_dotdot_refused(site, prefix):
    base = prefix.format(**site)
    refused(site, base + "../../../../../../etc/passwd")
    refused(site, base + "x/../../../../../../../etc/passwd")


@pytest.mark.parametrize("prefix", ["/c/{cid}/file/", "/c/{cid}/raw/", "/r/{rid}/raw/", "/static/"])
def test_encoded_dotdot_refused(site, prefix):
    base = prefix.format(**site)
    for p in ("%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
              "..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd", "%252e%252e/%252e%252e/etc/passwd", "..%5c..%5cetc%5cpasswd"):
        refused(site, base + p)


@pytest.mark.parametrize("prefix", ["/c/{cid}/file/", "/c/{cid}/raw/", "/r/{rid}/raw/", "/r/{rid}/file/"])
def test_absolute_path_refused(site, prefix):
    base = prefix.format(**site)
    for p in ("/etc/passwd", "%2fetc%2fpasswd", "%2Fetc/passwd", "C:/etc/passwd", "\\etc\\passwd"):
        refused(site, base + p)


@pytest.mark.parametrize("kind", ["file", "raw", "render"])
def test_symlink_out_of_tree_refused(site, kind):
    base = f"/c/{site['cid']}/{kind}/{site['home']}"
    refused(site, f"{base}/etc/passwd")
    refused(site, f"{base}/passwd.txt")
    refused(site, f"{base}/etc/hostname")


def test_symlinks_are_refused_with_403(site):
    status, _ = raw_get(site["url"], f"/c/{site['cid']}/raw/{site['home']}/passwd.txt")
    assert status == 403


def test_unknown_ids_and_files_are_404(site):
    for p in ("/c/nope", "/c/nope/tree", "/r/nope", "/f/nope", f"/c/{site['cid']}/file/no/such.docx",
              f"/c/{site['cid']}/ref/nobody", f"/r/{site['rid']}/day/99", f"/c/{site['cid']}/plot/x.png"):
        assert raw_get(site["url"], p)[0] == 404, p


def test_raw_files_never_render_as_html(site):
    """A computer's own HTML or SVG must not run in the viewer's origin: raw bytes come sandboxed."""
    rel = next(iter(site["manifest"]))
    import http.client
    from urllib.parse import quote, urlsplit

    u = urlsplit(site["url"])
    conn = http.client.HTTPConnection(u.hostname, u.port)
    conn.request("GET", f"/c/{site['cid']}/raw/{quote(rel)}")
    resp = conn.getresponse()
    assert resp.status == 200 and "sandbox" in resp.getheader("Content-Security-Policy")
    assert "html" not in resp.getheader("Content-Type")


def test_foreign_host_header_refused(site):
    """DNS rebinding: a page whose own name now resolves to 127.0.0.1 must not read the viewer."""
    import http.client
    from urllib.parse import urlsplit

    u = urlsplit(site["url"])
    conn = http.client.HTTPConnection(u.hostname, u.port)
    conn.request("GET", "/computers", headers={"Host": f"evil.example:{u.port}"})
    resp = conn.getresponse()
    assert resp.status == 400 and site["cid"].encode() not in resp.read()
    conn = http.client.HTTPConnection(u.hostname, u.port)
    conn.request("GET", "/computers", headers={"Host": f"localhost:{u.port}"})
    assert conn.getresponse().status == 200


def test_resolve_inside(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "f.txt").write_text("x")
    (tmp_path / "a" / "out").symlink_to("/etc")
    assert resolve_inside(tmp_path, "a/f.txt") == (tmp_path / "a" / "f.txt").resolve()
    for bad in ("", "../x", "a/../../x", "/etc/passwd", "a\\..\\..", "a/./f.txt", "C:/x", "a/out/passwd", "a\x00"):
        with pytest.raises(Refused):
            resolve_inside(tmp_path, bad)


def test_classify_and_discover(site, tmp_path):
    root = site["comp"].parent.parent
    kinds = sorted(i.kind for i in discover([root]))
    assert kinds == ["computer", "fleet", "run", "run", "run"]  # r1 and the fleet's two judged runs
    assert classify(site["comp"]) == "computer" and classify(tmp_path) is None


def test_preview_cache_hits(site):
    from worldbuilder.viewer.previews import PreviewCache

    cache = PreviewCache(size=2)
    files = [site["comp"] / "tree" / p for p in list(site["manifest"])[:3]]
    cache.get(files[0], files[0].name, "/raw")
    cache.get(files[0], files[0].name, "/raw")
    assert (cache.hits, cache.misses) == (1, 1)
    for f in files:
        cache.get(f, f.name, "/raw")
    assert len(cache._d) == 2  # bounded


def test_judgement_unknown_fields_are_shown(site):
    status, body = raw_get(site["url"], f"/r/{site['rid']}")
    assert status == 200
    assert b"future_field" in body and b"42" in body and b"report.html" in body


def _outside_ip() -> str:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
        ip = s.getsockname()[0]
    if ip.startswith("127."):
        pytest.skip("no non-loopback interface")
    return ip


def test_serve_cli(site, tmp_path):
    r = subprocess.run([WB, "serve", str(tmp_path / "missing")], capture_output=True, text=True)
    assert r.returncode == 1 and r.stderr.startswith("error: not a directory")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([WB, "serve", str(site["comp"]), "--port", str(port), "--cache-dir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ})
    try:
        for _ in range(100):
            try:
                status, body = raw_get(f"http://127.0.0.1:{port}", "/computers")
                break
            except OSError:
                time.sleep(0.1)
        assert status == 200 and site["cid"].encode() in body
        with pytest.raises(OSError):  # bound to loopback only (the default --host)
            socket.create_connection((_outside_ip(), port), timeout=2).close()
        r = subprocess.run([WB, "serve", str(site["comp"]), "--port", str(port)], capture_output=True, text=True)
        assert r.returncode == 1 and r.stderr.startswith("error: cannot listen"), r.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.slow
def test_libreoffice_page_image_is_cached_on_disk(site, soffice):
    """The on-demand page image: a real PNG from LibreOffice, served, then answered from the disk cache."""
    from urllib.parse import quote

    rel = next(p for p in sorted(site["manifest"]) if p.endswith(".docx"))
    status, body = raw_get(site["url"], f"/c/{site['cid']}/render/{quote(rel)}")
    assert status == 200 and body.startswith(b"\x89PNG")
    sha = site["manifest"][rel]["sha256"]
    cached = site["comp"].parent.parent / "cache" / "pages" / f"{sha}.png"
    assert cached.read_bytes() == body
    t = time.perf_counter()
    assert raw_get(site["url"], f"/c/{site['cid']}/render/{quote(rel)}") == (200, body)
    assert time.perf_counter() - t < 2  # no second LibreOffice start


def test_fleet_latest_record_per_job_and_stage_wins(tmp_path):
    from worldbuilder.viewer import fleets

    f = fleets.load(make_fleet(tmp_path / "fleet"))
    assert [j.job for j in f.jobs] == ["j0001", "j0002", "j0003"]
    assert f.jobs[2].stages["simulate"]["state"] == "failed" and "judge" not in f.jobs[2].stages
    progress = {p["stage"]: p["counts"] for p in f.progress()}
    assert progress["simulate"] == {"done": 2, "failed": 1} and progress["judge"] == {"done": 2}
    assert [j.score for j in f.jobs] == [(30.0, 120.0), (60.0, 120.0), None]


def test_run_logs_tolerate_a_torn_last_line(tmp_path):
    from worldbuilder.viewer import runs

    run = make_run(tmp_path / "r")
    with open(run / "daily_sim_turns.jsonl", "a") as fh:
        fh.write('{"turn": 4, "day": 2, "actor": "ag')  # a simulation mid-write
    r = runs.load(run)
    assert r.bad_lines == 1 and [d["turns"] for d in r.day_counts()] == [2, 1]
    assert r.changed_files(2) == [{"path": "Deliverables/notes.md", "how": "write_file, turn 3 (turn log)"}]


def test_ics_events_parsed():
    from worldbuilder.viewer.messages import ics_html, parse_ics

    ics = ("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Kickoff\\, ATLAS\r\nDTSTART:20240108T090000\r\n"
           "DESCRIPTION:line one\r\n  continued\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
    assert parse_ics(ics) == [{"SUMMARY": "Kickoff, ATLAS", "DTSTART": "20240108T090000",
                               "DESCRIPTION": "line one continued"}]
    assert "2024-01-08 09:00" in ics_html(ics.encode())


def test_malformed_directories_keep_the_pages_up(tmp_path):
    """Foreign or broken files (spec as a list, unparsable logs, bad days, escaping fleet outputs) never take
    down a list page, and a broken computer is a plain-text error, not a traceback."""
    (tmp_path / "c" / "tree").mkdir(parents=True)
    (tmp_path / "c" / "spec.json").write_text("[]")
    (tmp_path / "c" / "manifest.json").write_text('{"a.txt": 5}')
    run = make_run(tmp_path / "r")
    (run / "objectives.json").write_text("{not json")
    with open(run / "daily_sim_turns.jsonl", "a") as fh:
        fh.write('[1]\n{"day": "x", "tool": 3}\n{"day": 7, "turn": 9}\n')
    (tmp_path / "f").mkdir()
    (tmp_path / "f" / "fleet.json").write_text("[1]")
    (tmp_path / "f" / "manifest.jsonl").write_text('{"job": "j1", "stage": "generate", "state": "done", '
                                                   '"output": "../../etc"}\n[]\n')
    with BackgroundServer([tmp_path], cache_dir=tmp_path / "cache") as url:
        for page in ("/", "/computers", "/runs", "/fleets"):
            status, body = raw_get(url, page)
            assert status == 200, page
            for link in sorted(set(re.findall(rb'href="(/[rf]/[^"]+)"', body))):
                assert raw_get(url, link.decode())[0] == 200, link
        cid = re.search(rb'href="/c/([^"/]+)"', raw_get(url, "/computers")[1]).group(1).decode()
        status, body = raw_get(url, f"/c/{cid}")
        assert status == 500 and body.startswith(b"500: unreadable computer")
        rid = re.search(rb'href="/r/([^"/]+)"', raw_get(url, "/runs")[1]).group(1).decode()
        assert raw_get(url, f"/r/{rid}/day/7")[0] == 200
