"""The ``windows-qemu`` provider: ``prepare`` builds the Windows artefacts; ``boot`` without an install source or
without KVM fails in one typed line naming what is missing, before anything starts (no Windows, no KVM here)."""

from __future__ import annotations

import json

import pytest

from tests.test_cli import assert_one_line_error, wb
from tests.windows_support import generate_windows_computer, require_tools
from worldbuilder.errors import BootUnavailable, ComputerNotRunning
from worldbuilder.runtime.provider import PROVIDERS, ImageRef, make_provider
from worldbuilder.runtime.provider_windows_qemu import WindowsQemuProvider

pytestmark = pytest.mark.windows_tools


@pytest.fixture(scope="module")
def prepared(windows_home, tmp_path_factory):
    require_tools()
    comp = generate_windows_computer(tmp_path_factory.mktemp("wincomp") / "computer")
    work = tmp_path_factory.mktemp("run")
    provider = make_provider("windows-qemu", workdir=work, data_size_gib=4)
    return comp, provider, provider.prepare(comp)


def test_registered_by_name():
    assert "windows-qemu" in PROVIDERS
    assert isinstance(make_provider("windows-qemu"), WindowsQemuProvider)


def test_prepare_builds_disk_iso_and_domain(prepared):
    comp, provider, ref = prepared
    spec = json.loads((comp / "spec.json").read_text())
    assert ref == ImageRef("windows-qemu", str(provider.workdir / "windows" / spec["id"]), spec["id"])
    build = provider.workdir / "windows" / spec["id"]
    for name in ("data.qcow2", "provision.iso", "domain.xml", "qemu-command.txt", "windows.json"):
        assert (build / name).stat().st_size > 0, name
    meta = json.loads((build / "windows.json").read_text())
    assert meta["computer_id"] == spec["id"] and meta["file_count"] > 10
    assert "<domain" in (build / "domain.xml").read_text()


def test_boot_without_an_install_source_or_kvm_names_both(prepared, tmp_path):
    _, provider, ref = prepared
    no_kvm = WindowsQemuProvider(workdir=provider.workdir, kvm_device=str(tmp_path / "kvm"))
    with pytest.raises(BootUnavailable) as e:
        no_kvm.boot(ref)
    msg = str(e.value)
    assert "\n" not in msg and msg.startswith(f"cannot boot the Windows computer {ref.computer_id}: missing ")
    assert "a Windows install ISO (--iso or $WB_WINDOWS_ISO) or a prepared disk (--base-qcow2" in msg
    assert f"a working {tmp_path / 'kvm'} (" in msg
    iso = WindowsQemuProvider(install_iso=tmp_path / "none.iso", kvm_device=str(tmp_path / "kvm"))
    with pytest.raises(BootUnavailable, match=r"the file .*none\.iso \(it does not exist\)"):
        iso.boot(ref)
    assert not (tmp_path / "kvm").exists() and not (provider.workdir / "windows" / ref.computer_id / "os.qcow2").exists()


def test_boot_cli_says_what_is_missing(prepared, tmp_path):
    _, _, ref = prepared
    assert_one_line_error(wb("boot", "--backend", "windows-qemu", ref.ref), "missing a Windows install ISO")
    assert_one_line_error(wb("boot", "--backend", "windows-qemu", "--iso", str(tmp_path / "w.iso"), ref.ref),
                          "it does not exist")
    assert_one_line_error(wb("boot", "--iso", str(tmp_path / "w.iso"), "img"), "only apply to --backend windows-qemu")


def test_no_running_computers_and_typed_errors(prepared):
    _, provider, _ = prepared
    assert provider.ls() == []
    with pytest.raises(ComputerNotRunning):
        provider.stop("wb-win-none")
    with pytest.raises(ComputerNotRunning):
        provider.attach("wb-win-none")
    with pytest.raises(ComputerNotRunning):  # snapshots belong to a running computer of this provider
        provider.snapshots(type("C", (), {"name": "wb-win-x"})())  # type: ignore[arg-type]


def test_simulate_on_windows_stops_at_boot_in_one_line(prepared, tmp_path):
    """`simulate --backend windows-qemu` builds the Windows computer into the run, then stops at the boot with one
    line naming what this host lacks, and leaves no run directory behind."""
    comp, _, _ = prepared
    run = tmp_path / "run"
    proc = wb("simulate", str(comp), "--backend", "windows-qemu", "--days", "2", "--run-dir", str(run),
              env={"WB_WINDOWS_ISO": "", "WB_WINDOWS_BASE_QCOW2": ""})
    assert_one_line_error(proc, "cannot boot the Windows computer")
    assert "a Windows install ISO (--iso or $WB_WINDOWS_ISO)" in proc.stderr
    assert not run.exists() or not any(run.iterdir())
