"""`image build --os windows` end to end on a built-in persona, the VM description, and bad input.

The VM description is checked three ways without Windows or KVM: virt-xml-validate (libvirt's
schema), structure, and QEMU itself: the command line is started (TCG, paused with -S, next to a
real swtpm) and QMP shows the disks, the e1000e NIC and the TPM it created.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.test_cli import assert_one_line_error, no_leftovers, wb
from tests.test_docker_helpers import handmade_computer, handmade_spec, write_computer
from tests.windows_support import generate_windows_computer, require_tools

pytestmark = pytest.mark.windows_tools


@pytest.fixture(scope="module")
def wb_home(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    home = tmp_path_factory.mktemp("wbhome")
    mp.setenv("WORLDBUILDER_HOME", str(home))
    yield home
    mp.undo()


@pytest.fixture(scope="module")
def built(wb_home, tmp_path_factory):
    require_tools()
    comp = generate_windows_computer(tmp_path_factory.mktemp("wincli") / "computer")
    out = tmp_path_factory.mktemp("winbuild") / "build"
    proc = wb("image", "build", str(comp), "--os", "windows", "--out", str(out), "--data-size", "8")
    assert proc.returncode == 0, proc.stderr
    assert str(out) in proc.stdout and "Windows, user" in proc.stdout
    return comp, out


def test_build_produces_disk_iso_and_vm_description(built, wb_home):
    comp, out = built
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["data.qcow2", "provision.iso", "OVMF_VARS.fd", "domain.xml", "qemu-command.txt", "windows.json"])
    info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(out / "data.qcow2")],
                                     capture_output=True, text=True, check=True).stdout)
    assert info["format"] == "qcow2" and info["virtual-size"] == 8 << 30
    iso = subprocess.run(["isoinfo", "-d", "-i", str(out / "provision.iso")], capture_output=True, text=True,
                         check=True).stdout
    assert "Volume id: WB-PROV" in iso
    meta = json.loads((out / "windows.json").read_text())
    spec = json.loads((comp / "spec.json").read_text())
    assert meta["computer_id"] == spec["id"] and meta["home"] == "C:\\" + spec["layout"]["profile_root"][2:].replace(
        "/", "\\")
    assert Path(meta["key_path"]).exists() and str(wb_home) in meta["key_path"]  # private key: host only
    assert b"PRIVATE KEY" not in (out / "provision.iso").read_bytes()
    assert not no_leftovers(out.parent)


def test_domain_xml_validates_and_describes_the_machine(built):
    _, out = built
    xml_path = out / "domain.xml"
    assert subprocess.run(["virt-xml-validate", str(xml_path), "domain"], capture_output=True).returncode == 0
    broken = out.parent / "broken.xml"
    broken.write_text(xml_path.read_text().replace("<vcpu>", "<vcpus>").replace("</vcpu>", "</vcpus>"))
    assert subprocess.run(["virt-xml-validate", str(broken), "domain"], capture_output=True).returncode != 0
    dom = ET.parse(xml_path).getroot()
    assert dom.find("os/type").get("machine") == "q35"
    assert dom.find("os/loader").get("type") == "pflash" and "OVMF" in dom.find("os/loader").text
    assert dom.find("os/nvram").text == str(out / "OVMF_VARS.fd")
    disks = [(d.get("device"), d.find("target").get("bus"), Path(d.find("source").get("file")).name)
             for d in dom.findall("devices/disk")]
    assert disks == [("disk", "sata", "os.qcow2"), ("disk", "sata", "data.qcow2"), ("cdrom", "sata", "provision.iso")]
    assert dom.find("devices/tpm/backend").get("type") == "emulator"
    assert dom.find("devices/tpm/backend").get("version") == "2.0"
    args = [a.get("value") for a in dom.iter("{http://libvirt.org/schemas/domain/qemu/1.0}arg")]
    assert any(a.startswith("e1000e,") for a in args) and any("restrict=on" in a for a in args)
    cmd = (out / "qemu-command.txt").read_text()
    for needle in ("q35", "OVMF_CODE", "OVMF_VARS.fd", "ide-hd,drive=osdisk", "ide-hd,drive=datadisk", "e1000e",
                   "restrict=on", "tpm-crb", "swtpm socket --tpm2"):
        assert needle in cmd, needle


def test_qemu_accepts_the_command_line(built, tmp_path):
    """Start the described machine under TCG, paused, with a real swtpm; QMP lists what QEMU built."""
    from worldbuilder.materialize.windows.build import load_build
    from worldbuilder.materialize.windows.machine import qemu_command, swtpm_command
    from worldbuilder.runtime.qmp import QMP

    if shutil.which("qemu-system-x86_64") is None or shutil.which("swtpm") is None:
        pytest.fail("qemu-system-x86_64 / swtpm missing; run scripts/ensure-engine.sh windows")
    build = load_build(built[1])
    os_disk = tmp_path / "os.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(os_disk), "1G"], check=True)
    m = build.machine("wb-win-probe", 0, kvm=False)
    vars_copy = tmp_path / "vars.fd"
    shutil.copyfile(m.ovmf_vars, vars_copy)
    import dataclasses

    m = dataclasses.replace(m, os_disk=os_disk, ovmf_vars=vars_copy, tpm_dir=tmp_path / "tpm", ssh_port=_port())
    m.tpm_dir.mkdir()
    swtpm = subprocess.Popen(swtpm_command(m), start_new_session=True)
    qemu = None
    try:
        for _ in range(100):
            if m.tpm_socket.exists():
                break
            time.sleep(0.05)
        qmp_path = tmp_path / "q.sock"
        qemu = subprocess.Popen([*qemu_command(m, qmp=qmp_path), "-S"], stderr=subprocess.PIPE, start_new_session=True)
        for _ in range(200):
            if qmp_path.exists() or qemu.poll() is not None:
                break
            time.sleep(0.05)
        assert qemu.poll() is None, qemu.stderr.read().decode()
        with QMP(qmp_path) as qmp:
            blocks = {b["device"] or b.get("qdev", ""): b for b in qmp.execute("query-block")}
            assert {"osdisk", "datadisk", "provision"} <= set(blocks)
            assert blocks["provision"]["removable"] and blocks["provision"]["inserted"]["ro"]
            pci = [d for bus in qmp.execute("query-pci") for d in bus["devices"]]
            assert any(d["id"]["vendor"] == 0x8086 and d["id"]["device"] == 0x10D3 for d in pci)  # e1000e
            assert qmp.execute("query-tpm")[0]["model"] == "tpm-crb"
            qmp.execute("quit")
        qemu.wait(timeout=30)
    finally:
        for proc in (qemu, swtpm):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)


def _processes_mentioning(needle: str) -> list[int]:
    out = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and needle.encode() in (proc / "cmdline").read_bytes():
                state = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[0]
                if state not in ("Z", "X"):
                    out.append(int(proc.name))
        except OSError:
            continue
    return out


def _port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_linux_layout_is_refused_in_one_line(tmp_path, wb_home):
    comp = handmade_computer(tmp_path / "lin", kind="linux")
    proc = wb("image", "build", str(comp), "--os", "windows", "--out", str(tmp_path / "out"))
    assert_one_line_error(proc, "has a linux layout")
    assert not (tmp_path / "out").exists()


def test_a_forbidden_name_is_one_error_line_naming_the_file(tmp_path, wb_home):
    require_tools()
    spec = handmade_spec("windows")
    comp = write_computer(spec, tmp_path / "win")
    (comp / "tree" / "D" / "Projects" / "aux.csv").write_text("1,2\n")
    proc = wb("image", "build", str(comp), "--backend", "windows-qemu", "--out", str(tmp_path / "out"))
    assert_one_line_error(proc, "D/Projects/aux.csv: Windows cannot hold this name: 'AUX' is a reserved device name")
    assert not (tmp_path / "out").exists() and not no_leftovers(tmp_path)


def test_contradicting_options_and_boot_preconditions(tmp_path, wb_home, built):
    comp, out = built
    assert_one_line_error(wb("image", "build", str(comp), "--os", "linux", "--backend", "windows-qemu"), "contradict")
    assert_one_line_error(wb("image", "build", str(comp), "--out", str(tmp_path / "x")), "only apply to --os windows")
    assert_one_line_error(wb("windows", "boot", str(out)), "exactly one of --iso")
    assert_one_line_error(wb("windows", "boot", str(out), "--iso", str(tmp_path / "none.iso")), "does not exist")
    assert not (out / "os.qcow2").exists()


@pytest.mark.windows
@pytest.mark.slow
def test_install_windows_and_log_in_over_ssh(built):
    """Real Windows through the windows-qemu provider: install from WB_WINDOWS_ISO under KVM, log in as the user,
    files and times present; then day snapshots (overlays), diff, restore and attach from another provider."""
    iso = os.environ.get("WB_WINDOWS_ISO")
    if not iso:
        pytest.skip("set WB_WINDOWS_ISO to a Windows 10/11 install ISO (and have a working /dev/kvm)")
    from worldbuilder.materialize.windows.boot import check_kvm
    from worldbuilder.materialize.windows.build import load_build
    from worldbuilder.runtime.provider import make_provider
    from worldbuilder.spec import ComputerSpec

    check_kvm()  # fails with one line where KVM does not work
    comp_dir, out = built
    build = load_build(out)
    spec = ComputerSpec.load(comp_dir)
    provider = make_provider("windows-qemu", install_iso=Path(iso))
    comp = provider.boot(str(out))
    try:
        assert comp.exec("whoami").stdout.strip().lower().endswith("\\" + build.account.lower())
        for f in spec.files[:40]:
            top, _, rest = f.path.partition("/")
            win = ("D:\\" + rest if top == "D" else "C:\\" + f.path[2:]).replace("/", "\\")
            local = comp_dir / "tree" / f.path
            got = comp.exec(f"(Get-Item -LiteralPath '{win}').LastWriteTimeUtc.ToFileTimeUtc()").stdout.strip()
            assert int(got) == local.stat().st_mtime_ns // 100 + 116444736000000000, f.path
            assert comp.read(win) == local.read_bytes(), f.path
        snaps = provider.snapshots(comp)
        snaps.snapshot("day-00")
        comp.write("Documents/wb-day-one.txt", b"day one\n")
        snaps.snapshot("day-01")
        assert snaps.diff("day-00", "day-01").added == [f"C/Users/{build.account}/Documents/wb-day-one.txt"]
        comp = snaps.restore("day-00")  # Windows boots again on day-00's disks
        assert comp.exec("Test-Path Documents/wb-day-one.txt").stdout.strip() == "False"
        other = make_provider("windows-qemu").attach(comp.name)  # the state in run/ is enough
        assert other.exec("whoami").ok
        other.close()
    finally:
        comp.close()
        provider.stop(comp.name)


def test_boot_machinery_under_tcg_times_out_cleanly(built, tmp_path):
    """The boot path up to the SSH wait, without Windows: an empty prepared disk never answers SSH."""
    from worldbuilder.materialize.windows.boot import WindowsBootError, boot_windows
    from worldbuilder.materialize.windows.build import load_build

    build = load_build(built[1])
    base = tmp_path / "prepared.qcow2"
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(base), "1G"], check=True)
    started = time.monotonic()
    try:
        with pytest.raises(WindowsBootError, match="not ready over SSH after 6s"):
            boot_windows(build, base_qcow2=base, timeout=6, accel="tcg")
        assert time.monotonic() - started < 60
        info = json.loads(subprocess.run(["qemu-img", "info", "--output=json", str(build.path("os.qcow2"))],
                                         capture_output=True, text=True, check=True).stdout)
        assert info["backing-filename"] == str(base)  # an overlay: the prepared base is never written
        assert (build.dir / "run" / "qemu.pid").exists() and (build.dir / "tpm" / "swtpm.log").exists()
        assert _processes_mentioning(str(build.dir)) == []  # QEMU and swtpm are gone
    finally:
        build.path("os.qcow2").unlink(missing_ok=True)


def test_the_cli_built_disk_and_iso_read_back(built, tmp_path):
    """The artifacts `image build --os windows` wrote, read with the independent readers of the other tests."""
    import pycdlib

    from tests.test_windows_disk import EXPECTED_ACES, _expected, _ntfs
    from tests.windows_support import extract_partition, raw_copy, read_gpt
    from worldbuilder.spec import ComputerSpec

    comp, out = built
    spec = ComputerSpec.load(comp)
    raw = raw_copy(out / "data.qcow2", tmp_path / "d.raw")
    parts = read_gpt(raw)
    assert [(p["type"], p["name"]) for p in parts] == [("EBD0A0A2-B9E5-4433-87C0-68B6B72699C7", "Data")]
    fs = _ntfs(extract_partition(raw, parts[0], tmp_path / "p.img"))
    for vol, host in _expected(comp, spec).items():
        rec = fs.mft.get(vol)
        si = rec.attributes[0x10][0]
        assert si.last_modification_time_ns // 100 == host.stat().st_mtime_ns // 100, vol
        assert {str(a.sid): a.mask for a in fs.secure.lookup(si.security_id).dacl.ace} == EXPECTED_ACES, vol
        if host.is_file():
            assert rec.open().read() == host.read_bytes(), vol
    iso = pycdlib.PyCdlib()
    iso.open(str(out / "provision.iso"))
    try:
        names = {c.file_identifier().decode("utf-16-be") for c in iso.list_children(joliet_path="/") if c.is_file()}
    finally:
        iso.close()
    assert names == {"Autounattend.xml", "provision.ps1", "computer.json", "id_ed25519.pub"}
