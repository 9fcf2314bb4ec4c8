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
