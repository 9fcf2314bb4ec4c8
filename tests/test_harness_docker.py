"""End-to-end harness tests in real Docker: offline run killed and resumed, fork, OpenAI-compatible agent
against the scripted server, external agent over SSH."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shlex
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from conftest import docker_available
from scripted_llm import Reply, ScriptedLLM

from agent_harness import runs
from agent_harness.models import MessageRecord, SnapshotIndex, TurnRecord
from agent_harness.runlog import RunDir
from worldbuilder.extract import extract_text

pytestmark = pytest.mark.docker
WB = str(Path(sys.executable).parent / "worldbuilder")
PERSONA = "a senior financial advisor at a wealth management firm in Denver"
SENTINEL = "sk-SENTINEL-4242-do-not-log"
FILES = "find ~/Deliverables ~/.mail -type f -not -name '*.tmp' | sort | xargs -d '\\n' sha256sum"


@pytest.fixture(scope="module")
def computer(tmp_path_factory):
    if not docker_available():
        pytest.fail("Docker is not running; run scripts/ensure-engine.sh docker")
    base = tmp_path_factory.mktemp("harness")
    out = base / "computer"
    subprocess.run([WB, "generate", "--persona", PERSONA, "--out", str(out)], check=True, capture_output=True)
    subprocess.run([WB, "image", "build", str(out)], check=True, capture_output=True)
    subprocess.run([WB, "objectives", str(out), "--days", "5"], check=True, capture_output=True)
    yield out
    left = [str(r) for r in RUNS if (r / "run.json").exists()]  # their snapshot images go with them
    if left:
        r = subprocess.run([WB, "runs", "rm", *left], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr


RUNS: list[Path] = []  # run directories of this module, removed with `worldbuilder runs rm` at the end


def _image_exists(ref: str) -> bool:
    return subprocess.run(["docker", "image", "inspect", ref], capture_output=True).returncode == 0


def _boot(ref: str):
    from worldbuilder.runtime.docker_backend import DockerBackend

    return DockerBackend().boot(ref)


def _digest(ref: str) -> str:
    c = _boot(ref)
    try:
        return hashlib.sha256(c.exec(FILES).stdout.encode()).hexdigest()
    finally:
        c.close()
        from worldbuilder.runtime.docker_backend import DockerBackend

        DockerBackend().stop(c.name)


@pytest.fixture(scope="module")
def offline_run(computer, tmp_path_factory) -> RunDir:
    """`worldbuilder simulate` killed with SIGKILL in the middle of day 3, then resumed."""
    run = RunDir(tmp_path_factory.mktemp("runs") / "offline")
    RUNS.append(run.root)
    cmd = [WB, "simulate", str(computer), "--days", "5", "--turns-per-day", "40", "--run-dir", str(run.root)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if run.turns_jsonl.exists() and '"day":3,"actor":"agent"' in run.turns_jsonl.read_text():
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.02)
    proc.wait(60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-500:]
    assert run.snapshots().last().day == 2  # died inside day 3
    r = subprocess.run([WB, "simulate", "--resume", str(run.root)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-1000:]
    return run


def test_objectives_name_real_files(computer):
    obj = json.loads((computer / "objectives.json").read_text())
    spec = json.loads((computer / "spec.json").read_text())
    assert 3 <= len(obj["deliverables"]) <= 6
    assert 100 <= sum(c["points"] for d in obj["deliverables"] for c in d["rubric"]) <= 250
    names = {Path(f["path"]).name for f in spec["files"]}
    for d in obj["deliverables"]:
        assert d["sources"] and all(Path(s).name in names for s in d["sources"])
        assert any(c["check"]["type"] == "source_used" and Path(c["check"]["path"]).name in names for c in d["rubric"])


def test_killed_run_resumes_to_exactly_five_days(offline_run):
    run = offline_run
    s = run.summary()
    assert s.status == "completed" and s.days_completed == 5
    turns = run.turns()  # every line validates against TurnRecord (read_jsonl raises otherwise)
    for line in run.turns_jsonl.read_text().splitlines():
        TurnRecord.model_validate_json(line)
    for line in run.messages_jsonl.read_text().splitlines():
        MessageRecord.model_validate_json(line)
    assert sorted({t.day for t in turns if t.actor == "agent"}) == [1, 2, 3, 4, 5]
    assert [t.turn for t in turns] == sorted({t.turn for t in turns})  # no turn lost or doubled
    assert sorted(t.day for t in turns if t.tool == "snapshot") == [0, 1, 2, 3, 4, 5]
    assert [x.label for x in run.snapshots().snapshots] == [f"day-{d:02d}" for d in range(6)]
    assert any(t.tool == "resume" for t in turns)


def test_deliverables_valid_and_grounded(offline_run):
    from docx import Document
    from openpyxl import load_workbook
    from pptx import Presentation

    run, obj = offline_run, offline_run.objectives()
    c = _boot(run.snapshots().get(5).ref)  # restores the last day
    try:
        for d in obj.deliverables:
            blob = ""
            for o in d.outputs:
                data = c.read(o.path)
                if o.format == "docx":
                    Document(io.BytesIO(data))
                elif o.format == "xlsx":
                    assert o.sheet in load_workbook(io.BytesIO(data)).sheetnames
                elif o.format == "pptx":
                    assert len(Presentation(io.BytesIO(data)).slides) >= 3
                blob += extract_text(o.path, data)
            for crit in d.rubric:
                if crit.check["type"] == "source_used":
                    assert crit.check["evidence"] in blob, (d.id, crit.text)
            for src in d.sources:  # the sources exist in the computer
                assert c.exec(f"test -f {shlex.quote(src)}").ok, src
    finally:
        c.close()
        from worldbuilder.runtime.docker_backend import DockerBackend

        DockerBackend().stop(c.name)


def test_collaborators_and_late_correction(offline_run):
    msgs = offline_run.messages()
    obj = offline_run.objectives()
    corr = next(e for e in obj.scenario if e.kind == "correction")
    assert any(m.kind == "reply" for m in msgs) and any(m.kind in ("review", "approval") for m in msgs)
    sent = [m for m in msgs if m.kind == "correction"]
    assert len(sent) == 1 and sent[0].day == corr.day
    later = [m for m in msgs if m.direction == "from_user" and m.day > corr.day and corr.deliverable in m.subject]
    assert later, "the corrected deliverable was not resubmitted for review"
    out = obj.deliverable(corr.deliverable).outputs[0]
    text = extract_text(out.path, (offline_run.deliverables_dir / corr.deliverable / Path(out.path).name).read_bytes())
    if corr.override is None:  # a corrected key figure (a corrected source cell changes derived results only)
        assert corr.new in text and corr.old not in text


def test_fork_from_day_three(offline_run, tmp_path):
    src = offline_run
    RUNS.append(tmp_path / "fork")
    sim = runs.fork(f"{src.root}@day-03", tmp_path / "fork")
    assert hashlib.sha256(sim.computer.exec(FILES).stdout.encode()).hexdigest() == _digest(src.snapshots().get(3).ref)
    s = sim.run()
    fork = RunDir(tmp_path / "fork")
    assert s.days_completed == 5 and fork.config().forked_from.endswith("@day-03")
    idx: SnapshotIndex = fork.snapshots()
    assert [x.label for x in idx.snapshots] == [f"day-{d:02d}" for d in range(6)]
    assert idx.get(3).ref == src.snapshots().get(3).ref and idx.get(4).ref != src.snapshots().get(4).ref
    assert max(t.day for t in fork.turns()) == 5


def _llm_handler():
    """Agent requests (with tools) get a script; collaborator requests (no tools) get prose."""
    script = [
        Reply.tools([("read_inbox", {})]),
        Reply.tools([("shell", {"cmd": "ls ~ && cat ~/objectives.md | head -5"})]),
        Reply.tools([("make_document", '{"path": "Deliverables/out.docx", broken')]),  # malformed
        Reply.error(429, retry_after=0),  # rate limited, retried by the client
        Reply.tools([("make_document", {"path": "Deliverables/out.docx", "kind": "docx",
                                        "spec": {"title": "Draft", "blocks": [{"paragraph": "draft text"}]}})]),
        Reply.tools([("send_message", {"to": "{TO}", "subject": "dlv_001 question", "body": "Which figures?"})]),
        Reply.tools([("submit", {"deliverable_id": "dlv_001", "paths": ["Deliverables/out.docx"]})]),
        Reply.tools([("finish_day", {})]),
        Reply.tools([("read_inbox", {})]),
        Reply.tools([("write_file", {"path": "notes.md", "content": "day 2: read replies"})]),
        Reply.tools([("finish_day", {})]),
    ]
    state = {"i": 0}

    def handler(req: dict):
        if not req.get("tools"):
            return Reply.text("Thanks, here is my answer.")
        i = state["i"]
        state["i"] += 1
        return script[i] if i < len(script) else Reply.tools([("finish_day", {})])
    return handler


def test_openai_agent_and_collaborators_two_days(computer, tmp_path, monkeypatch):
    obj = json.loads((computer / "objectives.json").read_text())
    to = obj["deliverables"][0]["stakeholders"][0]["name"]
    handler = _llm_handler()

    def with_to(req):
        r = handler(req)
        for tc in r.tool_calls:
            tc.arguments = tc.arguments.replace("{TO}", to)
        return r
    monkeypatch.setenv("WORLDBUILDER_LLM_API_KEY", SENTINEL)
    with ScriptedLLM(with_to, expect_api_key=SENTINEL) as server:
        opts = runs.SimOptions(days=2, turns_per_day=20, agent="openai:scripted", collaborators="openai:scripted",
                               llm_base_url=server.url)
        RUNS.append(tmp_path / "llm")
        sim = runs.new_run(computer, tmp_path / "llm", opts)
        s = sim.run()
        assert any(r.headers.get("authorization") == f"Bearer {SENTINEL}" for r in server.requests)
    run = RunDir(tmp_path / "llm")
    turns = [t for t in run.turns() if t.actor == "agent"]
    assert s.status == "completed" and s.days_completed == 2
    assert any(t.error and "malformed" in t.result for t in turns)
    assert any(t.tool == "make_document" and not t.error for t in turns)
    assert s.deliverables == {"dlv_001": ["Deliverables/out.docx"]}
    assert s.tokens["agent"]["prompt"] > 0 and s.tokens["collaborators"]["completion"] > 0
    assert any("Thanks, here is my answer." in m.body for m in run.messages() if m.kind == "reply")
    assert server.count >= 13  # includes the 429 retry
    for p in run.root.rglob("*"):
        if p.is_file():
            assert SENTINEL.encode() not in p.read_bytes(), p
    c = _boot(run.snapshots().get(2).ref)
    try:
        assert "SENTINEL" not in c.exec("grep -rl SENTINEL ~ /tmp /etc 2>/dev/null; env").stdout
    finally:
        c.close()
        from worldbuilder.runtime.docker_backend import DockerBackend

        DockerBackend().stop(c.name)


EXTERNAL = textwrap.dedent("""
    import json, sys, time, paramiko
    live = json.load(open(sys.argv[1]))
    days = int(sys.argv[2])
    def connect():
        c = paramiko.SSHClient()
        c.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        c.connect(live["host"], port=live["port"], username=live["user"], key_filename=live["key_path"], timeout=5)
        return c
    ssh = connect()
    def run(cmd):  # the computer restarts overnight (same address and host key): reconnect when dropped
        global ssh
        for _ in range(120):
            try:
                _, out, err = ssh.exec_command(cmd, timeout=30)
                return out.read().decode() + err.read().decode()
            except (paramiko.SSHException, OSError, EOFError):
                time.sleep(0.5)
                try:
                    ssh = connect()
                except (paramiko.SSHException, OSError, EOFError):
                    pass
        raise SystemExit("the computer did not come back")
    MSG = "python3 ~/.local/bin/msg"
    for day in range(1, days + 1):
        while f"day {day} " not in run(MSG + " today"):
            time.sleep(0.2)
        print(run(MSG + " inbox"))
        run(MSG + " send --to " + sys.argv[3] + " --subject 'dlv_001 from external' --body 'hello day %d'" % day)
        run("mkdir -p ~/Deliverables && echo '# external notes day %d' > ~/Deliverables/ext.md" % day)
        print(run(MSG + " submit dlv_001 Deliverables/ext.md"))
        print(run(MSG + " done"))
""")


def test_external_agent_over_ssh(computer, tmp_path):
    obj = json.loads((computer / "objectives.json").read_text())
    who = obj["deliverables"][0]["stakeholders"][0]["id"]
    opts = runs.SimOptions(days=2, turns_per_day=5, agent="external", external_day_seconds=120)
    RUNS.append(tmp_path / "ext")
    sim = runs.new_run(computer, tmp_path / "ext", opts)
    result: dict = {}
    t = threading.Thread(target=lambda: result.setdefault("s", sim.run()))
    t.start()
    script = tmp_path / "external.py"
    script.write_text(EXTERNAL)
    p = subprocess.run([sys.executable, str(script), str(sim.run_dir.live_json), "2", who], capture_output=True,
                       text=True, timeout=240, env={**os.environ})
    t.join(240)
    assert p.returncode == 0, p.stderr[-800:]
    s = result["s"]
    assert s.days_completed == 2 and s.deliverables == {"dlv_001": ["Deliverables/ext.md"]}
    run = RunDir(tmp_path / "ext")
    assert [m.day for m in run.messages() if m.direction == "from_user"] == [1, 2]
    assert (run.deliverables_dir / "dlv_001" / "ext.md").read_text().strip() == "# external notes day 2"
    assert not any(t.error for t in run.turns() if t.actor == "agent")


def test_killed_container_restarts_the_day_then_runs_rm(computer, tmp_path):
    """`docker kill` in the middle of day 2: the day restarts from day-01's snapshot; `runs rm` cleans up."""
    run = RunDir(tmp_path / "kill")
    RUNS.append(run.root)
    sim = runs.new_run(computer, run.root, runs.SimOptions(days=3, turns_per_day=40))
    result: dict = {}

    def go():
        try:
            result["s"] = sim.run()
        except BaseException as exc:  # surfaced by the assertion below
            result["exc"] = exc
    t = threading.Thread(target=go)
    t.start()
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and t.is_alive():
        if '"day":2,"actor":"agent"' in run.turns_jsonl.read_text():
            break
        time.sleep(0.02)
    name = json.loads(run.live_json.read_text())["name"]
    subprocess.run(["docker", "kill", name], check=True, capture_output=True)
    t.join(600)
    assert "s" in result, result.get("exc")
    s, turns = result["s"], run.turns()
    assert s.status == "completed" and s.days_completed == 3 and s.restores == 1
    restore = [x for x in turns if x.tool == "restore"]
    assert len(restore) == 1 and restore[0].error and restore[0].day == 2, [x.result for x in restore]
    assert "day-01" in restore[0].result and "unreachable" in restore[0].result
    rolled = [x for x in turns if x.rolled_back]
    assert rolled and all(x.day == 2 and x.turn < restore[0].turn for x in rolled)
    day2 = [x for x in turns if x.day == 2 and x.actor == "agent" and not x.rolled_back]
    assert day2 and day2[0].tool == "read_inbox" and all(x.turn > restore[0].turn for x in day2)
    assert sorted({x.day for x in turns if x.actor == "agent" and not x.rolled_back}) == [1, 2, 3]
    assert [x.label for x in run.snapshots().snapshots] == [f"day-{d:02d}" for d in range(4)]
    assert json.loads(run.live_json.read_text())["name"] != name  # a new container took over
    refs = [x.ref for x in run.snapshots().snapshots]
    assert all(_image_exists(ref) for ref in refs)
    r = subprocess.run([WB, "runs", "rm", str(run.root)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and "4 snapshot image(s)" in r.stdout, r.stdout + r.stderr
    assert not run.root.exists() and not any(_image_exists(ref) for ref in refs)
    assert computer.exists() and _image_exists(f"worldbuilder/computer-{json.loads((computer / 'spec.json').read_text())['id']}:latest")
