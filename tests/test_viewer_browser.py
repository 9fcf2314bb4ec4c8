"""`worldbuilder serve` in headless Chromium (Debian chromium + chromedriver through Selenium): every page of a
generated computer, a hand-made fleet and runs loads with HTTP 200 and no console errors; the tree is exactly the
manifest; office previews show the files' text; the run timeline shows each day's turn count; the live view
refreshes. The real 2-day offline run needs Docker. Screenshots go to build/test-artifacts/viewer/."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from conftest import docker_available
from viewer_support import ARTIFACTS, chrome, console_errors, make_fleet, make_run, raw_get

from worldbuilder.extract import extract_text
from worldbuilder.viewer.server import BackgroundServer

pytestmark = pytest.mark.browser
WB = str(Path(sys.executable).parent / "worldbuilder")
PERSONA = "a senior financial advisor at a wealth management firm in Denver"


def _by():
    from selenium.webdriver.common.by import By

    return By


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        pytest.fail("chromium/chromedriver missing; run scripts/ensure-engine.sh browser")
    shutil.rmtree(ARTIFACTS, ignore_errors=True)  # this run's screenshots only
    d = chrome(tmp_path_factory.mktemp("chrome-profile"))
    d.set_page_load_timeout(120)
    yield d
    d.quit()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    base = tmp_path_factory.mktemp("site")
    comp = base / "computers" / "c1"
    subprocess.run([WB, "generate", "--persona", PERSONA, "--size", "small", "--seed", "1", "--out", str(comp)],
                   check=True, capture_output=True)  # seed 1: this computer also has an .ics and a .jpg
    make_fleet(base / "fleet", comp)
    with BackgroundServer([base], cache_dir=base / "cache") as url:
        yield {"url": url, "base": base, "comp": comp}


def shot(driver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)[:120]}.png"))


def visit(driver, url: str, path: str) -> None:
    """Open ``path``: HTTP 200 for the page, no SEVERE entry in the browser console, a screenshot."""
    status, _ = raw_get(url, path)
    assert status == 200, (path, status)
    driver.get_log("browser")  # drop entries of earlier pages
    driver.get(url + path)
    shot(driver, path)
    errors = console_errors(driver)
    assert errors == [], (path, errors)


def _group(path: str) -> str:
    """Pages of one kind share a group; the crawl opens a few of each (one preview per file type)."""
    m = re.match(r"^/([cr])/[^/]+/file/.*?(\.[A-Za-z0-9]+)?$", path)
    if m:
        return f"{m.group(1)}-file{m.group(2) or ''}"
    return re.sub(r"/(ref)/[^/]+$", r"/\1", re.sub(r"^/([crf])/[^/]+", r"/\1", path))


def crawl(driver, url: str, per_group: int = 3) -> list[str]:
    """Breadth-first over the viewer's own links, from the home page; returns the pages opened."""
    seen, opened, groups = set(), [], Counter()
    queue = ["/"]
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        if groups[_group(path)] >= per_group:
            continue
        groups[_group(path)] += 1
        visit(driver, url, path)
        opened.append(path)
        for a in driver.find_elements(_by().CSS_SELECTOR, "a[href]"):
            href = urlsplit(a.get_attribute("href"))
            if href.netloc == urlsplit(url).netloc and "/raw/" not in href.path and "/render/" not in href.path:
                queue.append(href.path)
    return opened


def test_every_page_loads_without_console_errors(driver, site):
    opened = crawl(driver, site["url"])
    for needed in ("/computers", "/runs", "/fleets"):
        assert needed in opened
    kinds = {_group(p) for p in opened}
    assert {"/c", "/c/tree", "/c/plots", "/c/ref", "/r", "/r/day/1", "/f", "/r/report"} <= kinds, kinds
    # one preview per file type the computer holds (which types a seed draws follows the occupation's priors)
    present = {p.suffix for p in (site["comp"] / "tree").rglob("*") if p.is_file()}
    assert {".docx", ".xlsx", ".pdf", ".eml"} <= present, present
    wanted = {f"c-file{ext}" for ext in (".docx", ".xlsx", ".pptx", ".pdf", ".eml", ".ics", ".jpg") if ext in present}
    assert wanted <= kinds, (wanted - kinds, kinds)


def _computer_url(driver, site) -> str:
    driver.get(site["url"] + "/computers")
    link = driver.find_element(_by().CSS_SELECTOR, "#computers a[href^='/c/']").get_attribute("href")
    return urlsplit(link).path


def test_tree_lists_exactly_the_manifest(driver, site):
    c = _computer_url(driver, site)
    visit(driver, site["url"], f"{c}/tree")
    listed = [e.get_attribute("data-path") for e in driver.find_elements(_by().CSS_SELECTOR, "tr.file")]
    manifest = json.loads((site["comp"] / "manifest.json").read_text())
    assert sorted(listed) == sorted(manifest) and len(listed) == len(set(listed))


def _snippets(text: str, n: int = 5) -> list[str]:
    cells = [" ".join(c.split()) for line in text.splitlines() for c in line.removeprefix("# ").split("\t")]
    return [c for c in cells if len(c) >= 6 and not c.startswith("=") and any(ch.isalpha() for ch in c)][:n]


@pytest.mark.parametrize("kind", ["docx", "xlsx", "pptx"])
def test_office_preview_shows_the_files_text(driver, site, kind):
    c = _computer_url(driver, site)
    manifest = json.loads((site["comp"] / "manifest.json").read_text())
    rel = next(p for p in sorted(manifest) if p.endswith(f".{kind}"))
    visit(driver, site["url"], f"{c}/file/{quote(rel)}")
    shown = " ".join(driver.find_element(_by().ID, "preview").text.split())
    expected = _snippets(extract_text(rel, (site["comp"] / "tree" / rel).read_bytes()))
    assert len(expected) >= 3
    for s in expected:
        assert s in shown, (rel, s)


def _check_timeline(driver, url: str, run_dir: Path) -> None:
    """The run page's day table and each day page show the log's turn count for that day."""
    logged = Counter(json.loads(line)["day"] for line in (run_dir / "daily_sim_turns.jsonl").read_text().splitlines()
                     if line.strip() and not json.loads(line).get("rolled_back"))
    driver.get(url + "/runs")
    links = [urlsplit(a.get_attribute("href")).path for a in driver.find_elements(_by().CSS_SELECTOR, "#runs a")]
    rid = next(p for p in links if p.startswith(f"/r/{re.sub(r'[^A-Za-z0-9_-]+', '-', run_dir.name)}-"))
    visit(driver, url, rid)
    rows = {int(tr.get_attribute("data-day")): int(tr.find_element(_by().CSS_SELECTOR, "td.turns").text)
            for tr in driver.find_elements(_by().CSS_SELECTOR, "#days tr[data-day]")}
    assert {d: n for d, n in rows.items() if n} == dict(logged)
    for day, n in logged.items():
        visit(driver, url, f"{rid}/day/{day}")
        assert int(driver.find_element(_by().ID, "turncount").text) == n
        assert len(driver.find_elements(_by().CSS_SELECTOR, "#turns tr.turn")) >= n


def test_handmade_run_timeline(driver, site):
    _check_timeline(driver, site["url"], site["base"] / "fleet" / "jobs" / "j0001" / "run")


def _text_or_none(driver, css: str) -> str | None:  # noqa: ANN001
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    try:
        return driver.find_element(_by().CSS_SELECTOR, css).text
    except (StaleElementReferenceException, NoSuchElementException):
        return None


def test_live_view_refreshes(driver, site, tmp_path):
    run = make_run(tmp_path / "live-run")
    (run / "summary.json").unlink()  # no summary yet: the run is still going
    (run / "judgement.json").unlink()
    with BackgroundServer([run], cache_dir=tmp_path / "cache") as url:
        driver.get(url + "/runs")
        rid = urlsplit(driver.find_element(_by().CSS_SELECTOR, "#runs a").get_attribute("href")).path
        visit(driver, url, rid)
        cell = "#days tr[data-day='2'] td.turns"
        assert driver.find_element(_by().CSS_SELECTOR, cell).text == "1"
        time.sleep(1.5)  # let the first poll record the current state
        with open(run / "daily_sim_turns.jsonl", "a") as fh:
            for t in range(4, 8):
                fh.write(json.dumps({"turn": t, "day": 2, "actor": "agent", "tool": "shell", "args": {}}) + "\n")
        for _ in range(120):  # the poll replaces the table, so a found cell can go stale before it is read
            if _text_or_none(driver, cell) == "5":
                break
            time.sleep(0.25)
        assert _text_or_none(driver, cell) == "5"
        shot(driver, "live-view-updated")
        assert console_errors(driver) == []
        driver.get("about:blank")  # stop the polling before the server goes away


@pytest.fixture(scope="module")
def docker_run(tmp_path_factory):
    """A real 2-day offline simulation in Docker on a generated small computer."""
    if not docker_available():
        pytest.fail("Docker is not running; run scripts/ensure-engine.sh docker build")
    base = tmp_path_factory.mktemp("docker-site")
    comp, run = base / "computer", base / "runs" / "two-days"
    for cmd in (["generate", "--persona", PERSONA, "--size", "small", "--out", str(comp)], ["image", "build", str(comp)],
                ["objectives", str(comp), "--days", "2"],
                ["simulate", str(comp), "--days", "2", "--turns-per-day", "40", "--run-dir", str(run)]):
        r = subprocess.run([WB, *cmd], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
    yield base, run
    subprocess.run([WB, "runs", "rm", str(run)], capture_output=True)


def _check_snapshot_diff(driver, url: str, run: Path) -> None:
    """Day pages list the snapshot diff; it holds every file the day's turns wrote (home-relative paths)."""
    turns = [json.loads(x) for x in (run / "daily_sim_turns.jsonl").read_text().splitlines() if x.strip()]
    driver.get(url + "/runs")
    rid = urlsplit(driver.find_element(_by().CSS_SELECTOR, "#runs a").get_attribute("href")).path
    for day in sorted({t["day"] for t in turns} - {0}):
        written = {t["args"]["path"] for t in turns if t["day"] == day and t["tool"] in ("write_file", "make_document")
                   and not t.get("error")}
        visit(driver, url, f"{rid}/day/{day}")
        for _ in range(240):
            items = driver.find_elements(_by().CSS_SELECTOR, "#snapdiffout li")
            if items or "unavailable" in driver.find_element(_by().ID, "snapdiffout").text:
                break
            time.sleep(0.25)
        listed = [li.text.split(None, 1)[1] for li in items]
        assert listed, driver.find_element(_by().ID, "snapdiffout").text
        for path in written:
            assert any(p.endswith("/" + path) for p in listed), (day, path, listed)
        shot(driver, f"snapshot-diff-day-{day}")
        assert console_errors(driver) == []


@pytest.mark.docker
def test_real_run_pages(driver, docker_run):
    base, run = docker_run
    with BackgroundServer([base], cache_dir=base / "cache") as url:
        _check_timeline(driver, url, run)
        _check_snapshot_diff(driver, url, run)
        opened = crawl(driver, url, per_group=2)
        assert any(p.startswith("/r/") and "/file/deliverables/" in p for p in opened)
