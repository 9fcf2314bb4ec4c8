"""The VM backend: qcow2 disk from a computer, QEMU boot + SSH, live snapshots, libvirt XML and domain.

One disk build and one OS boot for the whole module (TCG boots take about a minute on a loaded
2-core machine). Tests marked ``vm`` FAIL when QEMU or libvirt is missing: CI installs and starts
them with ``scripts/ensure-engine.sh vm``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_docker_helpers import handmade_computer, handmade_spec, make_computer, write_computer
from worldbuilder.errors import ComputerUnreachable, ImageNotFound, SnapshotNotFound, WorldbuilderError
from worldbuilder.runtime import accel
from worldbuilder.runtime.computer import SSHEndpoint

NEEDED = ("qemu-system-x86_64", "qemu-img", "mkfs.ext4", "debootstrap", "virt-xml-validate")


@pytest.fixture(scope="module")
def wb_home(tmp_path_factory):
    """A private WORLDBUILDER_HOME (keys, disks, VM state); the rootfs cache stays shared."""
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("wbhome")
    mp.setenv("WORLDBUILDER_HOME", str(home))
    yield home
    mp.undo()


@pytest.fixture(scope="module")
def engines():
    missing = [t for t in NEEDED if shutil.which(t) is None]
    if missing:
        pytest.fail(f"VM tools missing: {', '.join(missing)}; run scripts/ensure-engine.sh vm")


@pytest.fixture(scope="module")
def computer_dir(tmp_path_factory):
    return make_computer(tmp_path_factory.mktemp("vmcomp") / "computer")


@pytest.fixture(scope="module")
def disk(engines, wb_home, computer_dir):
    from worldbuilder.materialize.vm import build_vm_disk

    return build_vm_disk(computer_dir)


@pytest.fixture(scope="module")
def backend(wb_home):
    from worldbuilder.runtime.qemu_backend import QemuBackend

    b = QemuBackend(memory_mb=1024, cpus=2)
    yield b
    for vm in b.list_running():
        b.stop(vm.name, timeout=20)


@pytest.fixture(scope="module")
def computer(disk, backend):
    c = backend.boot(disk)
    yield c
    c.close()


# ------------------------------------------------------------------ accel (bounded, no hangs)


@pytest.mark.vm
def test_accel_detection_is_bounded(engines):
    start = time.monotonic()
    choice = accel.detect(refresh=True)
    assert time.monotonic() - start < 30
    assert choice.name in ("kvm", "tcg") and choice.reason
    if not Path("/dev/kvm").exists():
        assert choice.name == "tcg"
    assert choice.domain_type == ("kvm" if choice.name == "kvm" else "qemu")
    if not os.environ.get("WORLDBUILDER_ACCEL"):
        assert accel.detect() is choice  # cached for the process


def test_run_bounded_kills_a_hanging_process():
    start = time.monotonic()
    code, _ = accel.run_bounded([sys.executable, "-c", "import time; time.sleep(60)"], timeout=1.0)
    assert code is None and time.monotonic() - start < 8


def test_accel_override(monkeypatch):
    monkeypatch.setenv("WORLDBUILDER_ACCEL", "tcg")
    assert accel.detect().name == "tcg" and accel.detect().qemu_args()[:2] == ["-accel", "tcg,thread=multi"]
    monkeypatch.setenv("WORLDBUILDER_ACCEL", "xen")
    with pytest.raises(WorldbuilderError, match="kvm or tcg"):
        accel.detect()


# ------------------------------------------------------------------ bad input (no engine needed)


def test_bad_inputs_fail_cleanly(tmp_path, monkeypatch):
    from worldbuilder.materialize.staging import StagingError
    from worldbuilder.materialize.vm import build_vm_disk, find_disk

    monkeypatch.setenv("WORLDBUILDER_HOME", str(tmp_path / "home"))
    with pytest.raises(WorldbuilderError, match="not found"):
        build_vm_disk(tmp_path / "missing")
    bare = tmp_path / "bare"
    bare.mkdir()
    handmade_spec().save(bare / "spec.json")
    with pytest.raises(WorldbuilderError, match="no rendered tree"):
        build_vm_disk(bare)
    bad = write_computer(handmade_spec(username="root"), tmp_path / "bad")
    with pytest.raises(StagingError):
        build_vm_disk(bad, out=tmp_path / "out" / "disk")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    with pytest.raises(ImageNotFound):
        find_disk(str(tmp_path / "nothing-here"))


# ------------------------------------------------------------------ disk build


@pytest.mark.vm
def test_disk_is_a_qcow2_with_kernel(disk, computer_dir):
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(disk.disk_path)],
                                     capture_output=True, text=True, check=True).stdout)
    assert info["format"] == "qcow2" and info["virtual-size"] == disk.virtual_size
    assert disk.kernel_path.stat().st_size > 1_000_000 and disk.initrd_path.stat().st_size > 100_000
    spec = json.loads((computer_dir / "spec.json").read_text())
    assert disk.file_count == len(spec["files"]) and disk.user == spec["profile"]["username"]
    assert not [p for p in disk.dir.parent.iterdir() if ".tmp-" in p.name]  # nothing half-built left
    from worldbuilder.materialize.vm import build_vm_disk

    again = build_vm_disk(computer_dir)  # unchanged inputs: reused, not rebuilt
    assert again.build_hash == disk.build_hash and again.built_at == disk.built_at


# ------------------------------------------------------------------ boot + SSH


@pytest.mark.vm
def test_boot_refuses_a_disk_built_with_another_key(disk, backend):
    other = disk.model_copy(update={"public_key": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOther other"})
    with pytest.raises(ImageNotFound, match="not the one built into"):
        backend.boot(other, name="wrong-key")
    assert not [vm for vm in backend.list_running() if vm.name == "wrong-key"]


def home_prefix(disk) -> str:
    """Layout-relative path of the home ("" on linux, e.g. "C/Users/Jane/" on windows)."""
    for prefix, mount in disk.mounts.items():
        if disk.home == mount:
            return ""
        if disk.home.startswith(mount + "/"):
            return f"{prefix}/{disk.home[len(mount) + 1:]}/"
    raise AssertionError(f"home {disk.home} is on no mount {disk.mounts}")


@pytest.mark.vm
def test_login_as_user_and_files_match_the_spec(computer, disk, computer_dir):
    from worldbuilder.runtime.qemu_snapshots import list_files

    assert computer.exec("id -un").stdout.strip() == disk.user
    assert computer.exec("hostname").stdout.strip() == disk.hostname
    manifest = json.loads((computer_dir / "manifest.json").read_text())
    extras = {home_prefix(disk) + e for e in json.loads(computer.read("/etc/worldbuilder/extras.json"))}
    listing = list_files(computer, disk)  # every file under the layout roots, with sha256, over SSH
    assert set(listing) - extras == set(manifest)  # the user's files, exactly, nothing lost or added
    assert all(listing[p] == m["sha256"] for p, m in manifest.items())
    roots = " ".join(disk.mounts.values())
    count = int(computer.exec(f"find {roots} -type f | wc -l").stdout)
    assert count - len(extras) == disk.file_count == len(manifest)
    assert computer.exec(f"find {disk.home} -not -user $(id -un) | head -3").stdout.strip() == ""
    assert sorted(computer.listdir(".")) == sorted(json.loads(computer.exec(
        "python3 -c 'import os,json; print(json.dumps(os.listdir(\".\")))'").stdout))
    computer.write("scratch/hello.txt", b"hi from the host\n")
    assert computer.read("scratch/hello.txt") == b"hi from the host\n"


@pytest.mark.vm
def test_rebuild_is_refused_while_the_vm_runs(computer, computer_dir):
    from worldbuilder.materialize.vm import VMImageError, build_vm_disk

    with pytest.raises(VMImageError, match="in use by a running VM"):
        build_vm_disk(computer_dir, force=True)


@pytest.mark.vm
def test_ssh_key_only_and_no_outbound_network(computer, tmp_path):
    wrong = tmp_path / "wrong_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(wrong)], check=True)
    from worldbuilder.runtime.ssh import SSHComputer

    ep = computer.endpoint
    with pytest.raises(ComputerUnreachable, match="rejected"):
        SSHComputer(SSHEndpoint(ep.host, ep.port, ep.user, wrong), "intruder", "/", connect_timeout=20)
    probe = ("python3 -c 'import socket,sys\nfor h,p in ((\"1.1.1.1\",80),(\"10.0.2.2\",22),(\"deb.debian.org\",80)):\n"
             " try:\n  socket.create_connection((h,p),timeout=3); print(\"OPEN\",h)\n except OSError: pass'")
    res = computer.exec(probe, timeout=60)
    assert res.ok and "OPEN" not in res.stdout


# ------------------------------------------------------------------ snapshots


@pytest.mark.vm
def test_snapshot_restore_and_exact_diff(computer, backend):
    from worldbuilder.runtime.qemu_snapshots import QemuSnapshots

    snaps = QemuSnapshots(computer.name)
    pre = home_prefix(computer.disk)
    computer.write("Documents/state.txt", b"original\n")
    computer.exec("mkdir -p gone && echo bye > gone/file.txt")
    snaps.snapshot("day-01")
    computer.write("Documents/state.txt", b"changed\n")
    computer.exec("rm -r gone && echo new > Documents/new.txt")
    snaps.snapshot("day-02")
    assert [s.label for s in snaps.list()] == ["day-01", "day-02"]
    d = snaps.diff("day-01", "day-02")
    assert (d.added, d.changed, d.deleted) == ([pre + "Documents/new.txt"], [pre + "Documents/state.txt"],
                                               [pre + "gone/file.txt"])
    first = snaps.diff("latest", "day-01")
    assert {pre + "Documents/state.txt", pre + "gone/file.txt", pre + "scratch/hello.txt"} <= set(first.added)
    restored = snaps.restore("day-01")
    try:
        assert restored.read("Documents/state.txt") == b"original\n"
        assert restored.exec("test -e Documents/new.txt || echo absent").stdout.strip() == "absent"
        assert restored.read("gone/file.txt") == b"bye\n"
    finally:
        restored.close()
    with pytest.raises(SnapshotNotFound):
        snaps.restore("day-99")


@pytest.mark.vm
def test_restore_a_stopped_vm_resumes_from_the_snapshot(computer, backend):
    from worldbuilder.runtime.qemu_snapshots import QemuSnapshots

    disk = computer.disk
    computer.close()
    backend.stop(computer.name)
    snaps = QemuSnapshots(disk.name, disk=disk)
    start = time.monotonic()
    resumed = snaps.restore("day-02")  # boots QEMU with -loadvm: no OS boot
    try:
        assert resumed.read("Documents/state.txt") == b"changed\n"
        assert resumed.read("Documents/new.txt") == b"new\n"
        assert time.monotonic() - start < 120
    finally:
        resumed.close()
        backend.stop(resumed.name)


# ------------------------------------------------------------------ libvirt


@pytest.mark.vm
def test_domain_xml_validates(disk):
    from worldbuilder.runtime.libvirt_backend import domain_xml, validate_xml

    xml = domain_xml(disk, 2222)
    validate_xml(xml)
    assert "restrict=on" in xml and "hostfwd=tcp:127.0.0.1:2222-:22" in xml
    assert f"type=\"{accel.detect().domain_type}\"" in xml
    with pytest.raises(WorldbuilderError, match="does not validate"):
        validate_xml(xml.replace("<vcpu>", "<vcpus>").replace("</vcpu>", "</vcpus>"))


@pytest.mark.vm
def test_libvirt_defines_and_starts_the_domain(disk, backend):
    from worldbuilder.runtime.libvirt_backend import LibvirtBackend, domain_name, serial_log_path

    for vm in backend.list_running():  # the disk must not be in use by a plain QEMU VM
        backend.stop(vm.name, timeout=20)
    lv = LibvirtBackend()
    conn = lv.connect()  # fails (EngineUnavailable) when libvirtd does not run
    try:
        dom, endpoint, _ = lv.boot(disk, wait_ssh=False)
        assert dom.isActive() and dom.name() == domain_name(disk)
        assert conn.lookupByName(domain_name(disk)).isActive()
        deadline = time.monotonic() + 90
        log = serial_log_path(disk)
        while time.monotonic() < deadline and b"Run /init" not in (log.read_bytes() if log.exists() else b""):
            time.sleep(1)
        assert b"Run /init" in log.read_bytes(), "the kernel did not start under libvirt"
        assert "restrict=on" in dom.XMLDesc(0)
    finally:
        lv.destroy(disk)
    import libvirt

    with pytest.raises(libvirt.libvirtError):
        conn.lookupByName(domain_name(disk))


@pytest.mark.vm
def test_windows_layout_disk_maps_drives(engines, wb_home, tmp_path):
    """A Windows-style computer becomes a Linux disk with C:/D: under /mnt and the profile as home."""
    from worldbuilder.materialize.vm import INDEX_FILE, build_vm_disk

    disk = build_vm_disk(handmade_computer(tmp_path / "win", kind="windows"), out=tmp_path / "windisk",
                         compress=True)
    assert disk.disk_bytes < 350_000_000  # compressed clusters (an uncompressed disk is ~530 MB)
    assert disk.home == "/mnt/c/Users/Jane" and disk.mounts == {"C": "/mnt/c", "D": "/mnt/d"}
    files = json.loads((disk.dir / INDEX_FILE).read_text())["latest"]["files"]
    assert {"C/Users/Jane/Documents/notes.txt", "D/Projects/budget.csv"} <= set(files)
    shutil.rmtree(disk.dir)
