"""`simulate --backend qemu`: a 2-day offline run on a QEMU VM (TCG here), killed inside day 2 and resumed,
gives the same run-directory contract as Docker; day snapshots are internal qcow2 snapshots of the run's own
overlay disk, and a fork boots a copy of it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent_harness.models import MessageRecord, TurnRecord
from agent_harness.runlog import RunDir

pytestmark = [pytest.mark.vm, pytest.mark.slow]
WB = str(Path(sys.executable).parent / "worldbuilder")
PERSONA = "a senior financial advisor at a wealth management firm in Denver"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    e = dict(os.environ, WORLDBUILDER_HOME=str(tmp_path_factory.mktemp("wbhome")))
    yield e
    from worldbuilder.runtime.qemu_backend import QemuBackend

    old = os.environ.get("WORLDBUILDER_HOME")
    os.environ["WORLDBUILDER_HOME"] = e["WORLDBUILDER_HOME"]
    try:
        b = QemuBackend()
        for vm in b.list_running():  # nothing should be left; never leave a VM behind either way
            b.stop(vm.name, timeout=5)
    finally:
        os.environ.pop("WORLDBUILDER_HOME") if old is None else os.environ.__setitem__("WORLDBUILDER_HOME", old)


@pytest.fixture(scope="module")
def computer(env, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("qsim") / "computer"
    for cmd in (["generate", "--persona", PERSONA, "--size", "small", "--out", str(out)],
                ["objectives", str(out), "--days", "2"]):
        r = subprocess.run([WB, *cmd], capture_output=True, text=True, env=env, timeout=600)
        assert r.returncode == 0, r.stderr[-800:]
    return out


@pytest.fixture(scope="module")
def killed_and_resumed(computer, env, tmp_path_factory) -> RunDir:
    run = RunDir(tmp_path_factory.mktemp("qruns") / "run")
    cmd = [WB, "simulate", str(computer), "--backend", "qemu", "--days", "2", "--turns-per-day", "20",
           "--run-dir", str(run.root)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline and proc.poll() is None:
        if run.turns_jsonl.exists() and '"day":2,"actor":"agent"' in run.turns_jsonl.read_text():
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait(60)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-800:]
    assert run.snapshots().last().day == 1  # died inside day 2 (its VM is still running, orphaned)
    r = subprocess.run([WB, "simulate", "--resume", str(run.root)], capture_output=True, text=True, env=env,
                       timeout=900)
    assert r.returncode == 0, r.stderr[-1500:]
    return run


def _qcow2_snapshots(disk: Path) -> list[str]:
    out = subprocess.run(["qemu-img", "snapshot", "-U", "-l", str(disk)], capture_output=True, text=True).stdout
    return [ln.split()[1] for ln in out.splitlines()[2:] if len(ln.split()) > 1]


def test_two_day_run_on_qemu_has_the_docker_run_contract(killed_and_resumed):
    run = killed_and_resumed
    cfg, s = run.config(), run.summary()
    assert cfg.runtime == "qemu"
    assert s.status in ("completed", "degraded") and s.days_completed == 2
    turns = run.turns()
    for line in run.turns_jsonl.read_text().splitlines():
        TurnRecord.model_validate_json(line)
    for line in run.messages_jsonl.read_text().splitlines():
        MessageRecord.model_validate_json(line)
    assert sorted({t.day for t in turns if t.actor == "agent"}) == [1, 2]
    assert [t.turn for t in turns] == sorted({t.turn for t in turns})
    assert any(t.tool == "resume" for t in turns)
    assert [x.label for x in run.snapshots().snapshots] == ["day-00", "day-01", "day-02"]
    disk = run.root / "qemu" / "disk" / "disk.qcow2"
    for snap in run.snapshots().snapshots:  # refs are the run's own overlay disk @ an internal snapshot
        assert snap.ref == f"{disk}@{cfg.run_id}-{snap.label}"
    assert {f"{cfg.run_id}-day-0{d}" for d in range(3)} <= set(_qcow2_snapshots(disk))
    info = subprocess.run(["qemu-img", "info", "-U", "--output=json", str(disk)], capture_output=True, text=True)
    assert json.loads(info.stdout).get("backing-filename")  # an overlay: the built disk stays untouched
    live = json.loads(run.live_json.read_text())
    assert live["runtime"] == "qemu" and live["host"] == "127.0.0.1" and live["port"] > 0


def test_no_vm_left_running(killed_and_resumed, env):
    r = subprocess.run([WB, "ps", "--backend", "qemu"], capture_output=True, text=True, env=env)
    assert r.returncode == 0 and str(killed_and_resumed.root) not in r.stdout


def test_fork_boots_a_copy_of_the_disk(killed_and_resumed, env, tmp_path):
    src = killed_and_resumed
    r = subprocess.run([WB, "simulate", "--from", f"{src.root}@day-01", "--run-dir", str(tmp_path / "fork")],
                       capture_output=True, text=True, env=env, timeout=900)
    assert r.returncode == 0, r.stderr[-1500:]
    fork = RunDir(tmp_path / "fork")
    assert fork.summary().days_completed == 2
    refs = [s.ref for s in fork.snapshots().snapshots]
    assert all(ref.startswith(str(fork.root.resolve())) or ref.startswith(str(fork.root)) for ref in refs), refs
    assert any(t.tool == "fork" for t in fork.turns())


def test_killed_vm_restarts_the_day_from_its_snapshot(computer, env, tmp_path, monkeypatch):
    """SIGKILL of the QEMU process inside day 2: the day restarts from day-01's qcow2 snapshot."""
    import threading

    from agent_harness import runs
    from worldbuilder.runtime.qemu_backend import QemuBackend

    monkeypatch.setenv("WORLDBUILDER_HOME", env["WORLDBUILDER_HOME"])
    run = RunDir(tmp_path / "kill")
    sim = runs.new_run(computer, run.root, runs.SimOptions(days=2, turns_per_day=20, runtime="qemu"))
    result: dict = {}

    def go():
        try:
            result["s"] = sim.run()
        except BaseException as exc:  # surfaced by the assertion below
            result["exc"] = exc
    t = threading.Thread(target=go)
    t.start()
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and t.is_alive():
        if '"day":2,"actor":"agent"' in run.turns_jsonl.read_text():
            break
        time.sleep(0.05)
    name = json.loads(run.live_json.read_text())["name"]
    os.kill(QemuBackend().state(name).pid, signal.SIGKILL)
    t.join(900)
    assert "s" in result, result.get("exc")
    s, turns = result["s"], run.turns()
    assert s.days_completed == 2 and s.restores == 1
    restore = [x for x in turns if x.tool == "restore"]
    assert len(restore) == 1 and restore[0].day == 2 and "day-01" in restore[0].result
    assert [x.label for x in run.snapshots().snapshots] == ["day-00", "day-01", "day-02"]
    r = subprocess.run([WB, "runs", "rm", str(run.root)], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr
    assert not run.root.exists()
    assert all(not str(vm.disk_dir).startswith(str(tmp_path)) for vm in QemuBackend().list_running())
