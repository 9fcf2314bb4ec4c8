"""A hostile agent on the local runtime: irregular reads, oversized and swapped deliverables, a sabotaged
mailbox. Every one of them is an error turn or a recorded refusal; the run completes without a restart."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from test_harness_unit import _local, computer_dir  # noqa: F401  (fixture)

from agent_harness import mailbox
from agent_harness.agents.scripted import ScriptedAgent
from agent_harness.runlog import RunDir
from agent_harness.runs import SimOptions, new_run
from agent_harness.tools import Budget, Toolbox
from worldbuilder.errors import CallFailed, RemoteFileError, RemoteFileNotFound, TransferRefused
from worldbuilder.spec import ComputerSpec


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no {field}")


def _peak_rss_reset() -> float:
    """Reset VmHWM (Linux >= 4.0) to the current RSS and return that RSS: the baseline the run grows from
    (in a long pytest session the process already holds hundreds of MB before this test)."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def _peak_rss_mb() -> float:
    return _status_mb("VmHWM")


class Hostile(ScriptedAgent):
    """Day 1: attacks the harness, then works normally. Later days: works normally."""

    def run_day(self, day, today, tools):
        if day == 1:
            for cmd in ("mkdir -p Documents && mkfifo pipe", "truncate -s 1500M big.docx",
                        "printf x > zero.docx"):
                assert not tools.call("shell", {"cmd": cmd}).error
            assert tools.call("read_file", {"path": "Documents"}).error
            assert tools.call("read_file", {"path": "pipe"}).error
            dlv = sorted(tools.deliverables)
            assert not tools.call("submit", {"deliverable_id": dlv[0], "paths": ["big.docx", "zero.docx"]}).error
            sabotage = ("ln -sf /dev/zero zero.docx && head -c 41943040 /dev/zero | tr '\\0' a > .mail/outbox/big.json"
                        " && echo '{broken' > .mail/outbox/bad.json && mkfifo .mail/outbox/fifo.json"
                        " && rm -rf .mail/sent && echo x > .mail/sent")
            assert not tools.call("shell", {"cmd": sabotage}).error
            tools.call("finish_day")
            return
        super().run_day(day, today, tools)


def test_hostile_agent_gets_error_turns_and_refusals_not_a_failed_run(tmp_path, computer_dir):  # noqa: F811
    sim = new_run(computer_dir, tmp_path / "run", SimOptions(days=2, turns_per_day=40, runtime="local"))
    agent = Hostile()
    agent.start(sim.agent.brief)
    sim.agent = agent
    base = _peak_rss_reset()
    s = sim.run()
    peak = _peak_rss_mb()
    print(f"harness peak RSS during the hostile run: {peak:.0f} MB (from {base:.0f} MB)")
    assert peak - base < 250  # a whole-file read of big.docx alone would add 1500 MB
    run = RunDir(tmp_path / "run")
    turns = run.turns()
    assert s.status == "completed" and s.days_completed == 2 and s.restores == 0
    assert not [t for t in turns if t.tool == "restore"]
    reads = [t for t in turns if t.tool == "read_file" and t.day == 1][:2]
    assert all(t.error for t in reads) and "folder" in reads[0].result and "regular" in reads[1].result
    refused = {r.path: r.reason for r in s.refused}
    assert set(refused) == {"big.docx", "zero.docx"} and "cap" in refused["big.docx"]
    assert all(not (run.deliverables_dir / d / n).exists() for d in s.deliverables for n in refused)
    mail = [t.result for t in turns if t.tool == "mailbox" and t.day == 1]
    assert any("big" in m and "cap" in m for m in mail) and any("bad" in m for m in mail)
    assert any("fifo" in m and "regular" in m for m in mail) and any("repaired" in m for m in mail)
    summary = json.loads(run.summary_json.read_text())
    assert {r["path"] for r in summary["refused"]} == {"big.docx", "zero.docx"}


def test_local_reads_are_bounded_and_typed(tmp_path):
    c = _local(tmp_path)
    home = c.host_home
    (home / "dir").mkdir()
    os.mkfifo(home / "fifo")
    (home / "small.txt").write_bytes(b"abc")
    with open(home / "sparse", "wb") as fh:
        fh.truncate(10 << 20)
    os.symlink("/etc/hostname", home / "out")
    with pytest.raises(RemoteFileError, match="folder"):
        c.read("dir")
    with pytest.raises(TransferRefused, match="regular"):
        c.read("fifo")
    with pytest.raises(TransferRefused, match="cap"):
        c.read("sparse", max_bytes=1 << 20)
    with pytest.raises(RemoteFileNotFound):
        c.read("missing")
    assert isinstance(RemoteFileNotFound("x"), FileNotFoundError) and issubclass(TransferRefused, CallFailed)
    with pytest.raises(TransferRefused, match="cap"):
        c.fetch("sparse", tmp_path / "x", max_bytes=1 << 20)
    assert not (tmp_path / "x").exists()
    assert c.fetch("small.txt", tmp_path / "y", max_bytes=3) == 3 and (tmp_path / "y").read_bytes() == b"abc"
    (c.root / "outside.txt").write_bytes(b"x")
    (home / "sub").mkdir()
    os.symlink("../../../outside.txt", home / "sub" / "l")  # inside the computer, outside the home
    with pytest.raises(TransferRefused, match="outside"):
        c.fetch("sub/l", tmp_path / "z", max_bytes=100)


def test_mailbox_survives_sabotage(tmp_path, computer_dir):  # noqa: F811
    spec = ComputerSpec.load(computer_dir)
    c = _local(tmp_path)
    mailbox.install(c, spec)
    turns = []
    tb = Toolbox(c, turns.append, 1, 0, Budget(day_turns=20), {"dlv_001"}, command_timeout=10)
    assert not tb.call("send_message", {"to": "Dana", "subject": "ok", "body": "fine"}).error
    box = c.host_home / ".mail"
    (box / "outbox" / "num.json").write_text('{"id": 7, "to": 3}')
    (box / "outbox" / "list.json").write_text("[1, 2]")
    (box / "inbox" / "junk.json").write_text("{nope")
    assert not tb.call("read_inbox").error  # junk skipped
    os.rename(box / "inbox", box / "inbox.old")
    (box / "inbox").write_text("not a folder")
    assert tb.call("read_inbox").error  # an error turn, not an exception
    out = mailbox.collect_outbox(c, spec=spec)
    good = [m for m in out if not m.get("malformed")]
    assert len(good) == 1 and good[0]["to"] == "p01"
    assert {m["id"] for m in out if m.get("malformed")} >= {"7", "list", "mailbox"}
    assert (box / "inbox").is_dir() and (box / "contacts.json").exists()
    (box / "outbox").rmdir()
    os.symlink("/etc", box / "outbox")
    out = mailbox.collect_outbox(c, spec=spec)
    assert [m["id"] for m in out] == ["mailbox"] and (box / "outbox").is_dir() and not (box / "outbox").is_symlink()


def test_docker_errors_keep_their_reason():
    from worldbuilder.materialize.docker_cli import classify

    err = classify(["run"], 'docker: invalid argument "-1" for "-m, --memory" flag: invalid size: \'-1\'.\n'
                            "See 'docker run --help'.\n")
    assert "invalid size" in str(err) and "--help" not in str(err)


class Failing(ScriptedAgent):
    def run_day(self, day, today, tools):
        while True:
            tools.call("read_file", {"path": f"missing-{day}.txt"})


def test_a_run_of_errors_is_degraded_and_exits_non_zero(tmp_path, computer_dir):  # noqa: F811
    sim = new_run(computer_dir, tmp_path / "run", SimOptions(days=2, turns_per_day=12, runtime="local"))
    agent = Failing()
    agent.start(sim.agent.brief)
    sim.agent = agent
    s = sim.run()
    assert s.status == "degraded" and s.error_rate == 1.0 and "24 of 24" in s.stop_reason
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["status"] == "degraded"
