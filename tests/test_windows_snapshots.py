"""Day snapshots (qcow2 overlay generations) and cross-process state of the ``windows-qemu`` provider, without
Windows: QEMU runs the real Windows machine (q35, OVMF, swtpm, the build's disks) under TCG on an empty
"prepared" disk, so no guest OS answers; the guest's disk writes are played into the live overlay through
QEMU's own block layer (HMP ``qemu-io``), from an NTFS volume changed with ntfs-3g's ``ntfscp``. What this
cannot show: Windows flushing its volumes before a snapshot, and Windows booting from a restored layer."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import wb
from tests.windows_support import extract_partition, generate_windows_computer, read_gpt, require_tools
from worldbuilder.errors import (
    BootUnavailable,
    ComputerNotRunning,
    SnapshotError,
    SnapshotNotFound,
    WorldbuilderError,
)
from worldbuilder.materialize.file_index import INITIAL
from worldbuilder.runtime import windows_state
from worldbuilder.runtime.ntfs_files import computer_files
from worldbuilder.runtime.provider import make_provider
from worldbuilder.runtime.provider_windows_qemu import WindowsQemuProvider
from worldbuilder.runtime.qmp import QMP
from worldbuilder.runtime.windows_layers import Layers
from worldbuilder.runtime.windows_snapshots import WindowsSnapshots

pytestmark = pytest.mark.windows_tools
CHUNK = 64 << 10


@pytest.fixture(scope="module")
def prepared(windows_home, tmp_path_factory):
    require_tools()
    comp = generate_windows_computer(tmp_path_factory.mktemp("wincomp") / "computer")
    work = tmp_path_factory.mktemp("run")
    base = work / "prepared.qcow2"  # a "prepared Windows disk" with no OS on it
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(base), "1G"], check=True)
    provider = WindowsQemuProvider(workdir=work / "windows-qemu", data_size_gib=1, base_qcow2=base, accel="tcg")
    return comp, provider, provider.prepare(comp)


def _tree_files(comp: Path, account: str) -> dict[str, str]:
    import hashlib

    tree = comp / "tree"
    return {p.relative_to(tree).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(tree.rglob("*")) if p.is_file() and p.relative_to(tree).parts[0] in ("C", "D")}


def _raw(top: Path, out: Path) -> Path:
    subprocess.run(["qemu-img", "convert", "-U", "-O", "raw", str(top), str(out)], check=True)
    return out


def _guest_edits(qmp: Path, top: Path, tmp: Path, edits: dict[str, bytes]) -> int:
    """Change files on the live D: as the guest would: ntfscp into a copy of the volume, then write every
    changed 64 KiB chunk into the running VM's data disk through QEMU (HMP qemu-io). Returns chunks written."""
    before = _raw(top, tmp / "before.raw")
    part = read_gpt(before)[0]
    offset = part["first"] * 512
    vol = extract_partition(before, part, tmp / "vol.raw")
    subprocess.run(["cp", "--sparse=always", str(vol), str(tmp / "orig.raw")], check=True)
    for path, data in edits.items():
        (tmp / "src").write_bytes(data)
        subprocess.run(["ntfscp", "-f", str(vol), str(tmp / "src"), path], check=True, capture_output=True)
    written = 0
    with QMP(qmp, timeout=60) as q, open(tmp / "orig.raw", "rb") as a, open(vol, "rb") as b:
        at = 0
        while chunk := b.read(CHUNK):
            if a.read(CHUNK) != chunk:
                (tmp / "chunk").write_bytes(chunk)
                q.hmp(f'qemu-io datadisk "write -s {tmp / "chunk"} {offset + at} {len(chunk)}"')
                written += 1
            at += len(chunk)
    for name in ("before.raw", "orig.raw"):
        (tmp / name).unlink()
    return written


def _holds(top: Path, tmp: Path) -> None:
    """The (frozen) overlay ``top`` holds exactly the volume the last ``_guest_edits`` produced."""
    raw = _raw(top, tmp / "check.raw")
    part = read_gpt(raw)[0]
    offset, size = part["first"] * 512, (part["last"] - part["first"] + 1) * 512
    same = subprocess.run(["cmp", "-i", f"{offset}:0", "-n", str(size), str(raw), str(tmp / "vol.raw")],
                          capture_output=True, text=True)
    raw.unlink()
    assert same.returncode == 0, same.stdout + same.stderr


def _chain(top: Path) -> list[str]:
    info = json.loads(subprocess.run(["qemu-img", "info", "-U", "--backing-chain", "--output=json", str(top)],
                                     capture_output=True, text=True, check=True).stdout)
    return [Path(i["filename"]).resolve().as_posix() for i in info]


def _in_other_process(code: str, home: Path) -> str:
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          env={"WORLDBUILDER_HOME": str(home), "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_fresh_build_lists_the_tree_from_ntfs(prepared):
    """The NTFS reader behind diff: the fresh build's files, read from data.qcow2, are the tree's C: and D:."""
    comp, provider, ref = prepared
    build = Path(ref.ref)
    account = json.loads((build / "windows.json").read_text())["account"]
    files = computer_files(Layers(build).tops(INITIAL), account)
    assert files == _tree_files(comp, account)
    assert any(p.startswith(f"C/Users/{account}/") for p in files) and any(p.startswith("D/") for p in files)


@pytest.mark.vm
def test_day_overlays_snapshot_diff_and_cross_process_state(prepared, windows_home, tmp_path):
    comp, provider, ref = prepared
    build = Path(ref.ref)
    account = json.loads((build / "windows.json").read_text())["account"]
    data_before = (build / "data.qcow2").read_bytes()
    vm = provider.start(ref)
    try:
        layers = Layers(build)
        assert _chain(layers.disk(vm.generation, "data")) == [str(layers.disk(vm.generation, "data")),
                                                              str(build / "data.qcow2")]
        state = json.loads((build / "run" / "state.json").read_text())
        assert state["pid"] == vm.pid and state["port"] == vm.port and state["user"] == account
        with pytest.raises(SnapshotError, match="pflash1' is writable but does not support snapshots"):
            with QMP(vm.qmp) as q:  # why overlays, not savevm: the UEFI variable store refuses internal snapshots
                out = q.hmp("savevm probe")
                raise SnapshotError(out.strip())

        listed = json.loads(_in_other_process(
            "import json; from worldbuilder.runtime.provider import make_provider as m; p = m('windows-qemu'); "
            "print(json.dumps([[r.name, r.extra['pid'], p.endpoint(r.name).port] for r in p.ls()]))", windows_home))
        assert listed == [[vm.name, str(vm.pid), vm.port]]
        ps = wb("ps", "--backend", "windows-qemu")
        assert ps.returncode == 0 and ps.stdout.split("\t")[:4] == [vm.name, "windows-qemu", str(build), "running"]
        assert f"ssh=127.0.0.1:{vm.port}" in ps.stdout

        snaps = WindowsSnapshots(provider, vm.name, build, account)
        d = sorted(p for p in _tree_files(comp, account) if p.startswith("D/"))[0]
        assert _guest_edits(vm.qmp, layers.disk(vm.generation, "data"), tmp_path,
                            {"/day1-notes.txt": b"day one\n", "/" + d[2:]: b"rewritten on day one\n"}) > 0
        day1 = snaps.snapshot("day-01")
        _holds(layers.disk(vm.generation, "data"), tmp_path)
        assert day1.ref == f"{build}@day-01"
        live = windows_state.load(vm.name).generation
        assert live == vm.generation + 1 and _chain(layers.disk(live, "data"))[1] == str(layers.disk(vm.generation, "data"))
        _guest_edits(vm.qmp, layers.disk(live, "data"), tmp_path, {"/day2-notes.txt": b"day two\n"})
        snaps.snapshot("day-02")

        assert [s.label for s in snaps.list()] == ["day-01", "day-02"]
        first = snaps.diff(INITIAL, "day-01")
        assert (first.added, first.changed, first.deleted) == (["D/day1-notes.txt"], [d], [])
        second = snaps.diff("day-01", "day-02")
        assert (second.added, second.changed, second.deleted) == (["D/day2-notes.txt"], [], [])
        assert snaps.layers.index()["day-01"].files is not None  # cached: frozen layers never change
        with pytest.raises(SnapshotNotFound):
            snaps.diff("day-01", "day-09")
        with pytest.raises(SnapshotError):
            snaps.snapshot("Day 1")

        _in_other_process(f"from worldbuilder.runtime.provider import make_provider as m; "
                          f"m('windows-qemu').stop({vm.name!r}, timeout=2)", windows_home)
        assert not windows_state.pid_alive(vm.pid) and provider.ls() == []
        assert not (build / "run" / "state.json").exists()
        with pytest.raises(ComputerNotRunning):
            provider.attach(vm.name)
        with pytest.raises(SnapshotError, match="no running Windows computer"):
            snaps.snapshot("day-03")
    finally:
        for row in provider.ls():
            provider.stop(row.name, timeout=1)
    assert (build / "data.qcow2").read_bytes() == data_before  # the build's disk was never written


@pytest.mark.vm
def test_boot_from_a_snapshot_and_from_a_forked_copy(prepared, windows_home, tmp_path):
    """A snapshot ref starts a new generation on the frozen one; a copied layers/ (a fork) is self-contained."""
    comp, provider, ref = prepared
    build = Path(ref.ref)
    layers = Layers(build)
    if "day-01" not in layers.index():
        pytest.skip("needs the snapshots of the previous test")
    account = json.loads((build / "windows.json").read_text())["account"]
    vm = provider.start(f"{build}@day-01")
    try:
        assert _chain(layers.disk(vm.generation, "data"))[1] == str(layers.disk(layers.record("day-01").generation, "data"))
        files = computer_files({"data": layers.disk(vm.generation, "data")}, account)
        assert "D/day1-notes.txt" in files and "D/day2-notes.txt" not in files
    finally:
        provider.stop(vm.name, timeout=1)
    # a fork as the harness makes it (runs._fork_into): copy the run's provider folder, rewrite the refs
    src_root, dst_root = provider.workdir.parent, tmp_path / "fork"
    shutil.copytree(provider.workdir, dst_root / provider.workdir.name)
    fork = Path(str(build).replace(str(src_root.resolve()), str(dst_root.resolve())))
    copy = Layers(fork)
    chain = _chain(copy.tops("day-02")["data"])
    assert all(p.startswith(str(fork)) for p in chain), chain
    other = WindowsQemuProvider(base_qcow2=provider.base_qcow2, accel="tcg")
    vm2 = other.start(f"{fork}@day-02")
    try:
        assert vm2.build_dir == fork.resolve()
        files = computer_files({"data": copy.disk(vm2.generation, "data")}, account)
        assert {"D/day1-notes.txt", "D/day2-notes.txt"} <= set(files)
    finally:
        other.stop(vm2.name, timeout=1)


@pytest.mark.vm
def test_export_and_reap_by_the_run(prepared, tmp_path):
    """``export`` flattens a day into standalone disks; the harness's provider of a run reaps its killed VM."""
    from agent_harness.runtime import run_provider

    comp, provider, ref = prepared
    build = Path(ref.ref)
    if "day-01" not in Layers(build).index():
        pytest.skip("needs the snapshots of the earlier test")
    account = json.loads((build / "windows.json").read_text())["account"]
    snaps = WindowsSnapshots(provider, "unused", build, account)
    out = snaps.export("day-01", tmp_path)
    assert sorted(p.name for p in out.iterdir()) == ["data.qcow2", "os.qcow2", "vars.fd"]
    assert len(_chain(out / "data.qcow2")) == 1  # no backing file
    assert "D/day1-notes.txt" in computer_files({"data": out / "data.qcow2"}, account)
    with pytest.raises(SnapshotError, match="exists"):
        snaps.export("day-01", tmp_path)  # the same folder name again

    run_root = provider.workdir.parent  # the run directory; its provider works in run_root/windows-qemu
    rp = run_provider("windows-qemu", "r1", run_root)
    rp.base_qcow2, rp.accel = provider.base_qcow2, "tcg"  # type: ignore[attr-defined]
    vm = rp.start(f"{build}@day-02")  # type: ignore[attr-defined]
    assert vm.name == "wb-r1"
    run_provider("windows-qemu", "r1", tmp_path / "another-run").reap()  # not its run: untouched
    assert windows_state.pid_alive(vm.pid)
    run_provider("windows-qemu", "r1", run_root).reap()  # as `simulate --resume` does after a kill
    assert not windows_state.pid_alive(vm.pid) and provider.ls() == []


def test_snapshot_refs_and_errors_without_a_vm(prepared, tmp_path):
    comp, provider, ref = prepared
    with pytest.raises(BootUnavailable, match="a working .*kvm"):  # the default accel needs KVM
        make_provider("windows-qemu", base_qcow2=provider.base_qcow2, kvm_device=str(tmp_path / "kvm")).boot(ref)
    with pytest.raises(SnapshotNotFound):
        provider.start(f"{ref.ref}@day-77")
    assert provider.ls() == []


def test_the_os_disk_under_the_snapshots_is_never_swapped(prepared, tmp_path):
    """A fresh boot with another prepared disk than the one os.qcow2 overlays: one line, nothing started."""
    from worldbuilder.materialize.windows.boot import prepare_os_disk
    from worldbuilder.materialize.windows.build import load_build

    _, provider, ref = prepared
    build = load_build(Path(ref.ref))
    if not build.path("os.qcow2").exists():
        prepare_os_disk(build, None, provider.base_qcow2)
    other_base = tmp_path / "other.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(other_base), "1G"], check=True)
    other = WindowsQemuProvider(base_qcow2=other_base, accel="tcg")
    with pytest.raises(WorldbuilderError, match=r"is an overlay of .*prepared\.qcow2, not an overlay of .*other\.qcow2"):
        other.start(ref)
    assert other.ls() == []


def test_state_pointer_round_trip_and_stale_entries(windows_home, tmp_path):
    """run/state.json + the registry pointer: written atomically, found by name; a dead VM's state and pointer go,
    and a pointer whose build now runs under another name goes alone."""
    from datetime import UTC, datetime

    build = tmp_path / "build"
    vm = windows_state.WindowsVM(name="wb-win-a", build_dir=build, pid=os.getpid(), port=2222, user="Laura",
                                 home="C:\\Users\\Laura", key_path=tmp_path / "key", qmp=tmp_path / "q.sock",
                                 generation=3, vars="g0003.vars.fd", accel="tcg", started_at=datetime.now(UTC))
    windows_state.save(vm)
    assert windows_state.WindowsVM.model_validate_json((build / "run" / "state.json").read_text()) == vm
    assert not [p for p in (build / "run").iterdir() if ".tmp" in p.name]
    (windows_state.registry() / "wb-win-b.json").write_text(json.dumps({"build_dir": str(build)}))
    with pytest.raises(ComputerNotRunning, match="no running Windows computer wb-win-b"):
        windows_state.load("wb-win-b")
    assert not (windows_state.registry() / "wb-win-b.json").exists() and (build / "run" / "state.json").exists()
    with pytest.raises(ComputerNotRunning, match="not running any more"):  # this pid is not a QEMU
        windows_state.load("wb-win-a")
    assert not (build / "run" / "state.json").exists() and not (windows_state.registry() / "wb-win-a.json").exists()
    assert windows_state.running() == []
