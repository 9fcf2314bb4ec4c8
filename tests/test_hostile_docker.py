"""Hostile agents and careless users against real Docker computers: irregular reads are error turns, huge and
swapped deliverables are refused while the harness stays small, computers cannot reach each other or the host,
a disk quota stops a writer, day snapshots store only each day's changes, ``runs rm`` trusts only labels,
and ``--sudo`` images really have sudo."""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from conftest import docker_available
from test_hostile_unit import Hostile, _peak_rss_mb, _peak_rss_reset

from agent_harness.agents.scripted import ScriptedAgent
from agent_harness.runlog import RunDir
from agent_harness.runs import SimOptions, new_run
from agent_harness.tools import Budget, Toolbox
from worldbuilder.runtime.docker_backend import DockerBackend
from worldbuilder.runtime.docker_quota import usage

pytestmark = pytest.mark.docker
WB = str(Path(sys.executable).parent / "worldbuilder")
PERSONA = "a payroll clerk at a logistics company in Rotterdam"
MB = 1 << 20


def _wb(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    r = subprocess.run([WB, *args], capture_output=True, text=True, timeout=900)
    assert r.returncode == 0 or not check, r.stderr[-800:]
    return r


@pytest.fixture(scope="module")
def computer(tmp_path_factory):
    if not docker_available():
        pytest.fail("Docker is not running; run scripts/ensure-engine.sh docker")
    out = tmp_path_factory.mktemp("hostile") / "computer"
    _wb("generate", "--persona", PERSONA, "--size", "small", "--out", str(out))
    _wb("image", "build", str(out))
    _wb("objectives", str(out), "--days", "5")
    yield out
    for run in RUNS:
        if (run / "run.json").exists():
            _wb("runs", "rm", str(run), check=False)


RUNS: list[Path] = []


def _run(computer: Path, root: Path, agent: ScriptedAgent | None = None, **opts):
    RUNS.append(root)
    sim = new_run(computer, root, SimOptions(turns_per_day=30, **opts))
    if agent is not None:
        agent.start(sim.agent.brief)
        sim.agent = agent
    return sim


@pytest.fixture
def booted(computer):
    backend, names = DockerBackend(), []

    def boot(**kw):
        c = backend.boot(f"worldbuilder/computer-{json.loads((computer / 'spec.json').read_text())['id']}", **kw)
        names.append(c.name)
        return c

    boot.names = names
    yield boot
    for n in names:
        backend.stop(n)


def test_read_file_on_folder_fifo_and_device_is_an_error_turn(booted):
    c = booted()
    assert c.exec("mkdir -p Folder && mkfifo pipe && ln -s /dev/zero zero && ln -s /etc/shadow shadow").ok
    turns = []
    tb = Toolbox(c, turns.append, 1, 0, Budget(day_turns=10), set(), command_timeout=10)
    for path, words in (("Folder", "folder"), ("pipe", "FIFO"), ("zero", "device"), ("shadow", "permission"),
                        ("missing.txt", "no such")):
        r = tb.call("read_file", {"path": path})
        assert r.error and words in r.text, r.text
    assert c.alive() and tb.call("shell", {"cmd": "echo still here"}).text.endswith("still here\n")
    assert all(t.duration_ms < 5000 for t in turns)  # refused from stat, nothing hung


def test_hostile_deliverables_are_refused_and_the_harness_stays_small(computer, tmp_path):
    sim = _run(computer, tmp_path / "run", Hostile(), days=2, disk_quota="3g")
    base = _peak_rss_reset()
    s = sim.run()
    peak = _peak_rss_mb()
    print(f"harness peak RSS during the hostile docker run: {peak:.0f} MB (from {base:.0f} MB)")
    assert peak - base < 250  # a whole-file read of big.docx alone would add 1500 MB
    assert s.status == "completed" and s.days_completed == 2 and s.restores == 0
    refused = {r.path: r.reason for r in s.refused}
    assert set(refused) == {"big.docx", "zero.docx"}
    assert "cap" in refused["big.docx"] and "outside" in refused["zero.docx"]  # /dev/zero
    turns = RunDir(tmp_path / "run").turns()
    reads = [t for t in turns if t.tool == "read_file" and t.day == 1][:2]
    assert all(t.error for t in reads) and not any(t.tool == "restore" for t in turns)


PROBE = """
import select, socket, sys, time
ports = set()
for part in sys.argv[1].split(","):
    lo, _, hi = part.partition("-")
    ports.update(range(int(lo), int(hi or lo) + 1))
ok = []
ports = sorted(ports)
batches = [(h, ports[i:i + 500]) for h in sys.argv[2:] for i in range(0, len(ports), 500)]
for host, batch in batches:  # 500 ports of a host at once (non-blocking), 2 s to answer
    socks = {}
    for p in batch:
        s = socket.socket()
        s.setblocking(False)
        s.connect_ex((host, p))
        socks[s] = p
    end = time.time() + 2
    while socks and time.time() < end:
        _, w, _ = select.select([], list(socks), [], max(0, end - time.time()))
        for s in w:
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                ok.append(f"{host}:{socks[s]}")
            s.close()
            del socks[s]
    for s in socks:
        s.close()
print(sorted(ok))
"""


def test_computers_reach_nothing_but_their_own_ssh(booted, tmp_path):
    a, b = booted(), booted()
    srv = http.server.ThreadingHTTPServer(("0.0.0.0", 0), http.server.SimpleHTTPRequestHandler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    host_ips = [ip for ip in subprocess.run(["hostname", "-I"], capture_output=True, text=True).stdout.split()
                if ":" not in ip]  # every IPv4 address of the host (docker0, eth0, ...)
    a.write(".cache/probe.py", PROBE.encode())
    ports = f"1-1024,8000,8080,{srv.server_address[1]}"
    try:
        r = a.exec(f"python3 .cache/probe.py {ports} {b.endpoint.host} 172.31.240.1 {' '.join(host_ips)}", timeout=120)
        assert r.ok and r.stdout.strip() == "[]", r.stdout + r.stderr
        r = a.exec(f"getent hosts {b.name} || echo none", timeout=30)
        assert r.stdout.strip() == "none"  # no DNS
        x, y = booted(shared_network="i7test"), booted(shared_network="i7test")
        x.write(".cache/probe.py", PROBE.encode())
        r = x.exec(f"python3 .cache/probe.py 22 {y.endpoint.host} {a.endpoint.host}", timeout=60)
        assert r.stdout.strip() == f"['{y.endpoint.host}:22']"  # opt-in network: only each other
    finally:
        srv.shutdown()
        for n in list(booted.names):  # then the opt-in network itself, and its host rule
            DockerBackend().stop(n)
            booted.names.remove(n)
        subprocess.run(["docker", "network", "rm", "wb-shared-i7test"], capture_output=True)
        subprocess.run(["iptables", "-D", "INPUT", "-i", "wbs-i7test", "-m", "conntrack", "--ctstate", "NEW,INVALID",
                        "-j", "DROP"], capture_output=True)


def test_sudo_image_has_sudo_and_default_image_has_not(computer, tmp_path):
    c = tmp_path / "sudo"
    shutil.copytree(computer, c)
    spec = json.loads((c / "spec.json").read_text())
    spec["id"] = spec["id"][:8] + "sudo"
    (c / "spec.json").write_text(json.dumps(spec))
    _wb("image", "build", str(c), "--sudo")
    backend = DockerBackend()
    root = backend.boot(f"worldbuilder/computer-{spec['id']}")
    try:
        assert backend.labels(root.name)["org.worldbuilder.sudo"] == "true"
        assert root.exec("sudo -n id -u").stdout.strip() == "0"
        assert root.exec("grep NoNewPrivs /proc/self/status").stdout.split()[-1] == "0"
    finally:
        backend.stop(root.name)
        subprocess.run(["docker", "rmi", f"worldbuilder/computer-{spec['id']}:latest"], capture_output=True)
    plain = backend.boot(f"worldbuilder/computer-{json.loads((computer / 'spec.json').read_text())['id']}")
    try:
        assert not plain.exec("sudo -n id -u").ok
        assert plain.exec("grep NoNewPrivs /proc/self/status").stdout.split()[-1] == "1"
    finally:
        backend.stop(plain.name)


class Writer(ScriptedAgent):
    """Writes ``size`` MB of random data on day 1 (in 10 MB files), then works normally."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def run_day(self, day, today, tools):
        if day == 1:
            tools.call("shell", {"cmd": f"mkdir -p Data && for i in $(seq {self.size // 10}); do "
                                        "head -c 10485760 /dev/urandom > Data/f$i.bin || exit 1; done"})
        super().run_day(day, today, tools)


def _stored(run: RunDir) -> int:
    """Bytes the run's snapshot images add on the host: the distinct top layers of its snapshot images."""
    uppers = set()
    for s in run.snapshots().snapshots:
        uppers.add(subprocess.run(["docker", "image", "inspect", "-f", "{{.GraphDriver.Data.UpperDir}}", s.ref],
                                  capture_output=True, text=True).stdout.strip())
    return sum(usage(u) for u in uppers if u)


def test_day_snapshots_store_only_each_days_changes(computer, tmp_path):
    run = RunDir(tmp_path / "run")
    s = _run(computer, run.root, Writer(200), days=5).run()
    assert s.status == "completed" and s.days_completed == 5
    stored = _stored(run)
    print(f"5-day run, 200 MB written on day 1: snapshots store {stored / MB:.0f} MB over the image")
    assert 200 * MB <= stored <= 1.2 * 200 * MB
    last = DockerBackend().boot(run.snapshots().get(5).ref)
    try:
        assert last.exec("ls Data | wc -l").stdout.strip() == "20"
    finally:
        DockerBackend().stop(last.name)
    copy = tmp_path / "copy"  # a copied run owns nothing: removing it leaves the original's images
    shutil.copytree(run.root, copy)
    unrelated = DockerBackend().boot(run.snapshots().get(0).ref)
    try:
        (copy / "live.json").write_text(json.dumps({"runtime": "docker", "name": unrelated.name}))
        idx = json.loads((copy / "snapshots.json").read_text())
        idx["snapshots"][0]["ref"] = f"worldbuilder/computer-{json.loads((computer / 'spec.json').read_text())['id']}:latest"
        (copy / "snapshots.json").write_text(json.dumps(idx))
        r = _wb("runs", "rm", str(copy))
        assert "(0 snapshot image(s)" in r.stdout and not copy.exists()
        assert DockerBackend().list_running() and unrelated.name in {x["name"] for x in DockerBackend().list_running()}
        for snap in run.snapshots().snapshots:
            assert subprocess.run(["docker", "image", "inspect", snap.ref], capture_output=True).returncode == 0
        assert subprocess.run(["docker", "image", "inspect", idx["snapshots"][0]["ref"]],
                              capture_output=True).returncode == 0
    finally:
        DockerBackend().stop(unrelated.name)
    r = _wb("runs", "rm", str(run.root))
    assert "(6 snapshot image(s)" in r.stdout, r.stdout


def test_quota_stops_the_writer_and_the_run(computer, tmp_path):
    run = RunDir(tmp_path / "run")
    s = _run(computer, run.root, Writer(600), days=3, disk_quota="150m").run()
    assert s.status == "stopped" and "disk quota exceeded" in s.stop_reason and s.days_completed == 1
    day1 = next(d for d in s.per_day if d.day == 1)
    assert "disk quota" in day1.ended
    stored = _stored(run)
    print(f"quota 150 MB, writer of 600 MB: snapshots store {stored / MB:.0f} MB; {s.stop_reason}")
    assert stored < 400 * MB  # it stopped growing well before 600 MB


def test_long_snapshot_chains_are_flattened(computer, tmp_path, monkeypatch):
    monkeypatch.setenv("WORLDBUILDER_MAX_LAYERS", "4")
    run = RunDir(tmp_path / "run")
    s = _run(computer, run.root, Writer(20), days=3).run()
    assert s.status == "completed"
    layers = [int(subprocess.run(["docker", "image", "inspect", "-f", "{{len .RootFS.Layers}}", x.ref],
                                 capture_output=True, text=True).stdout) for x in run.snapshots().snapshots]
    assert max(layers) <= 4 and 1 in layers, layers
    last = DockerBackend().boot(run.snapshots().get(3).ref)
    try:
        assert last.exec("ls Data | wc -l").stdout.strip() == "2"
    finally:
        DockerBackend().stop(last.name)
