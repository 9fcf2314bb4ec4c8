"""The ``windows-qemu`` provider: a real Windows computer under QEMU/KVM, reached over OpenSSH with PowerShell.

``prepare`` builds the Windows artefacts of a computer directory with :mod:`worldbuilder.materialize.windows`
(the ``D:`` data disk, the WB-PROV provisioning ISO, the libvirt domain XML and QEMU command line), exactly as
``image build --os windows``; the ref is the build directory. ``boot`` installs Windows from an install ISO
(``install_iso``, or ``$WB_WINDOWS_ISO``) or boots a prepared sysprep'd disk (``base_qcow2``, or
``$WB_WINDOWS_BASE_QCOW2``), on a host with a working ``/dev/kvm``; without them it raises
:class:`~worldbuilder.errors.BootUnavailable` naming each missing piece, before anything starts.

Every boot runs on a new qcow2 overlay generation (:mod:`windows_layers`), so the build's disks are never
written; ``snapshots`` freezes the live generation per day (:mod:`windows_snapshots`), and a snapshot ref
``<build dir>@<label>`` boots like the build itself. The VM's state (pids, SSH port, user, key, QMP socket,
generation) is written to ``<build>/run/state.json`` at boot (:mod:`windows_state`), so another process can
``attach``, ``stop`` and ``ls`` it by name.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from worldbuilder.errors import (
    BootError,
    BootUnavailable,
    ComputerError,
    ComputerNameInUse,
    ComputerNotRunning,
    EngineUnavailable,
    WorldbuilderError,
)
from worldbuilder.runtime import windows_state
from worldbuilder.runtime.computer import Computer, SSHEndpoint
from worldbuilder.runtime.limits import Limits
from worldbuilder.runtime.provider import ComputerProvider, ImageRef, RunningComputer
from worldbuilder.runtime.qmp import QMP, press_power_button
from worldbuilder.runtime.windows_layers import Layers
from worldbuilder.runtime.windows_snapshots import WindowsSnapshots
from worldbuilder.runtime.windows_state import WindowsVM

ISO_ENV, BASE_ENV = "WB_WINDOWS_ISO", "WB_WINDOWS_BASE_QCOW2"
STOP_TIMEOUT = 120.0  # seconds for Windows to shut down on the ACPI power button before QEMU is told to quit


def _env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value) if value else None


def split_ref(ref: ImageRef | str) -> tuple[Path, str | None]:
    """(build or computer directory, snapshot label or None) of ``<dir>`` / ``<dir>@<label>``."""
    text = ref.ref if isinstance(ref, ImageRef) else str(ref)
    head, sep, label = text.rpartition("@")
    return (Path(head), label) if sep and head and "/" not in label else (Path(text), None)


class WindowsQemuProvider(ComputerProvider):
    name = "windows-qemu"

    def __init__(self, limits: Limits | None = None, owner: dict[str, str] | None = None,
                 workdir: str | Path | None = None, install_iso: str | Path | None = None,
                 base_qcow2: str | Path | None = None, openssh_zip: str | Path | None = None,
                 data_size_gib: int = 16, kvm_device: str = "/dev/kvm", accel: str = "kvm") -> None:
        super().__init__(limits, owner, workdir)
        self.install_iso = Path(install_iso) if install_iso else _env_path(ISO_ENV)
        self.base_qcow2 = Path(base_qcow2) if base_qcow2 else _env_path(BASE_ENV)
        self.openssh_zip = Path(openssh_zip) if openssh_zip else None
        self.data_size = data_size_gib << 30
        self.kvm_device = kvm_device
        self.accel = accel  # "tcg" only exercises the machinery (tests): Windows is unusable without KVM
        self._procs: dict[str, tuple[subprocess.Popen, subprocess.Popen]] = {}  # name -> (qemu, swtpm)

    def prepare(self, computer_dir: str | Path, variant: str = "default") -> ImageRef:
        from worldbuilder.materialize.windows.build import build_windows, default_build_dir
        from worldbuilder.spec import ComputerSpec

        if variant != "default":
            raise WorldbuilderError(f"the {self.name} backend has no variant {variant!r} (only 'default')")
        computer_dir = Path(computer_dir)
        spec = ComputerSpec.load(computer_dir)
        out = self.workdir / "windows" / spec.id if self.workdir is not None else default_build_dir(spec.id)
        build = build_windows(computer_dir, out, self.openssh_zip, self.data_size)
        return ImageRef(self.name, str(build.dir), build.computer_id)

    def missing(self, label: str | None = None) -> list[str]:
        """What this host lacks to boot Windows (empty when it can): the install source and a working KVM.

        A snapshot (``label``) holds the installed disks; it still needs the prepared base when it is an
        overlay over one."""
        from worldbuilder.materialize.windows.boot import check_kvm

        out = []
        if self.install_iso is None and self.base_qcow2 is None:
            if label is None:
                out.append(f"a Windows install ISO (--iso or ${ISO_ENV}) or a prepared disk (--base-qcow2 or ${BASE_ENV})")
        elif self.install_iso is not None and self.base_qcow2 is not None:
            out.append("only one of the install ISO and the prepared disk (both were given)")
        else:
            src = self.install_iso or self.base_qcow2
            if not src.is_file():  # type: ignore[union-attr]
                out.append(f"the file {src} (it does not exist)")
        if self.accel == "kvm":
            try:
                check_kvm(self.kvm_device)
            except (EngineUnavailable, OSError) as exc:
                why = str(exc).removeprefix("Windows VMs need KVM and ").removeprefix("Windows VMs need KVM, ")
                out.append(f"a working {self.kvm_device} ({why})")
        return out

    def boot(self, ref: ImageRef | str, name: str | None = None, limits: Limits | None = None) -> Computer:
        """Start Windows on a new overlay generation and wait until the user logs in over SSH."""
        from worldbuilder.materialize.windows.boot import BOOT_TIMEOUT, INSTALL_TIMEOUT, wait_ready

        vm = self.start(ref, name, limits)
        qemu = self._procs[vm.name][0]
        installing = self.install_iso is not None and split_ref(ref)[1] is None
        try:
            from worldbuilder.materialize.windows.build import load_build

            return wait_ready(load_build(vm.build_dir), vm.name, vm.port, qemu,
                              INSTALL_TIMEOUT if installing else BOOT_TIMEOUT)
        except BaseException:
            self._kill(vm)
            raise

    def start(self, ref: ImageRef | str, name: str | None = None, limits: Limits | None = None) -> WindowsVM:
        """The first half of :meth:`boot`: QEMU runs on a new generation and its state is recorded; no wait
        for Windows (a VM without an OS runs too, which is how the tests exercise snapshots)."""
        from worldbuilder.materialize.windows.boot import build_key_matches, check_boot_tools, prepare_os_disk
        from worldbuilder.materialize.windows.build import find_build

        path, label = split_ref(ref)
        build = find_build(path)
        missing = self.missing(label)
        if missing:
            raise BootUnavailable(f"cannot boot the Windows computer {build.computer_id}: missing "
                                  + "; ".join(missing))
        check_boot_tools()
        build_key_matches(build)
        name = name or self._default_name(build.computer_id)
        self._claim(name, build.dir)
        if label is None:
            if build.path(build.os_disk).exists():
                self._check_os_disk(build.path(build.os_disk))
            else:
                prepare_os_disk(build, self.install_iso, self.base_qcow2)
        layers = Layers(build.dir, {"os": build.os_disk, "data": build.data_disk}, build.ovmf_vars)
        gen, vars_name = layers.new_generation(label)
        try:
            for attempt in range(3):  # a free port can be taken between probing it and QEMU binding it
                try:
                    return self._launch(build, name, label, layers, gen, vars_name, limits or self.limits)
                except _PortTaken:
                    if attempt == 2:
                        raise BootError(f"{name}: could not bind a host port for SSH") from None
        except BaseException:
            layers.discard(gen, vars_name)  # a generation that never ran
            raise
        raise AssertionError("unreachable")

    def _launch(self, build, name: str, label: str | None, layers: Layers, gen: int, vars_name: str,
                limits: Limits) -> WindowsVM:
        from worldbuilder.materialize.windows.boot import _free_port, start_machine

        m = dataclasses.replace(
            build.machine(name, _free_port(), install_iso=self.install_iso if label is None else None,
                          kvm=self.accel == "kvm"),
            os_disk=layers.disk(gen, "os"), data_disk=layers.disk(gen, "data"), ovmf_vars=layers.vars_path(vars_name),
            memory_mb=max(build.memory_mb, limits.memory_mb), cpus=max(1, int(limits.vcpus)))
        run = build.dir / "run"
        qmp = windows_state.qmp_path(run)
        swtpm, qemu = start_machine(m, run, qmp)
        self._procs[name] = (qemu, swtpm)
        vm = WindowsVM(name=name, build_dir=build.dir, pid=qemu.pid, swtpm_pid=swtpm.pid, port=m.ssh_port,
                       user=build.account, home=build.home, key_path=build.key_path, qmp=qmp, generation=gen,
                       vars=vars_name, accel=self.accel, started_at=datetime.now(UTC))
        windows_state.save(vm)
        try:
            self._wait_qmp(vm, qemu)
        except BaseException:
            self._kill(vm)
            raise
        return vm

    def _wait_qmp(self, vm: WindowsVM, qemu: subprocess.Popen, timeout: float = 30.0) -> None:
        """Wait until QEMU answers on QMP (BootError, with its log's tail, when it exits or never does)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if qemu.poll() is not None:
                log = (vm.run_dir / "qemu.log").read_text(errors="replace")
                if "Could not set up host forwarding rule" in log:
                    raise _PortTaken()
                tail = " | ".join(log.strip().splitlines()[-2:])
                raise BootError(f"{vm.name}: QEMU exited ({qemu.returncode}) at start: {tail}")
            try:
                with QMP(vm.qmp, timeout=5):
                    return
            except ComputerError:
                time.sleep(0.1)
        raise BootError(f"{vm.name}: QEMU did not answer on QMP within {timeout:g}s")

    def _check_os_disk(self, os_disk: Path) -> None:
        """The build's ``os.qcow2`` (the bottom of every snapshot's chain) must be what this boot asks for: an
        overlay of the given prepared disk, or the empty install target; it is never re-created under snapshots."""
        proc = subprocess.run(["qemu-img", "info", "-U", "--output=json", str(os_disk)], capture_output=True,
                              text=True, timeout=60)
        if proc.returncode != 0:
            raise WorldbuilderError(f"{os_disk} is unreadable: {proc.stderr.strip()[-200:]}")
        backing = json.loads(proc.stdout).get("backing-filename")
        want = str(self.base_qcow2.absolute()) if self.base_qcow2 is not None else None
        if backing != want:
            have = f"an overlay of {backing}" if backing else "the Windows install target"
            raise WorldbuilderError(f"{os_disk} is {have}, not " + (f"an overlay of {want}" if want else
                                    "an install target") + "; boot with the source it was made from, or remove "
                                    f"{os_disk.parent} and build again")

    def _default_name(self, computer_id: str) -> str:
        from worldbuilder.runtime.provider_qemu import vm_name

        return vm_name(self.owner, f"wb-win-{computer_id}")

    def _claim(self, name: str, build_dir: Path) -> None:
        try:
            other = windows_state.load(name)
        except ComputerNotRunning:
            other = None
        if other is not None:
            raise ComputerNameInUse(f"a Windows computer named {name!r} is already running (stop it first)")
        vm = windows_state.load_build(build_dir)
        if vm is not None:
            raise ComputerNameInUse(f"the Windows build {build_dir} is already running as {vm.name!r}")

    def endpoint(self, name: str) -> SSHEndpoint:
        """How to log in to the running computer ``name`` (read from its state; no connection)."""
        vm = windows_state.load(name)
        return SSHEndpoint("127.0.0.1", vm.port, vm.user, vm.key_path)

    def attach(self, name: str) -> Computer:
        from worldbuilder.materialize.windows.boot import windows_computer_class

        vm = windows_state.load(name)
        return windows_computer_class()(self.endpoint(name), name, vm.home, vm.pid)

    def stop(self, name: str, timeout: float = STOP_TIMEOUT) -> None:
        """Shut Windows down (ACPI power button), then QMP quit, then SIGKILL; the state goes."""
        vm = windows_state.load(name)
        press_power_button(vm.qmp)
        if not self._wait_gone(vm, timeout):
            self._kill(vm)
        self._cleanup(vm)

    def _wait_gone(self, vm: WindowsVM, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        child = self._procs.get(vm.name, (None, None))[0]
        while time.monotonic() < deadline:
            if child is not None:
                child.poll()
            if not windows_state.pid_alive(vm.pid):
                return True
            time.sleep(0.2)
        return False

    def _kill(self, vm: WindowsVM) -> None:
        try:
            with QMP(vm.qmp, timeout=5) as qmp:
                qmp.execute("quit")
        except ComputerError:
            pass
        if not self._wait_gone(vm, 5):
            try:
                os.kill(vm.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._wait_gone(vm, 10)
        self._cleanup(vm)

    def _cleanup(self, vm: WindowsVM) -> None:
        """Reap our children; end swtpm if it outlived QEMU (it normally ends with it: --terminate)."""
        for proc in self._procs.pop(vm.name, ()):
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        try:
            if vm.swtpm_pid and b"swtpm" in Path(f"/proc/{vm.swtpm_pid}/cmdline").read_bytes():
                os.kill(vm.swtpm_pid, signal.SIGTERM)
        except OSError:
            pass
        vm.qmp.unlink(missing_ok=True)
        windows_state.forget(vm)

    def ls(self) -> list[RunningComputer]:
        return [RunningComputer(vm.name, self.name, str(vm.build_dir), "running",
                                {"pid": str(vm.pid), "ssh": f"127.0.0.1:{vm.port}", "accel": vm.accel,
                                 "generation": str(vm.generation)})
                for vm in windows_state.running()]

    def snapshots(self, computer: Computer) -> WindowsSnapshots:
        vm = windows_state.load(computer.name)
        return WindowsSnapshots(self, vm.name, vm.build_dir, vm.user, computer)

    def is_dead(self, computer: Computer) -> bool:
        try:
            windows_state.load(computer.name)
        except ComputerNotRunning:
            return True
        return computer.is_dead()

    def reap(self) -> None:
        """Stop the Windows VMs running a build under this provider's workdir (a killed run's)."""
        if self.workdir is None:
            return
        root = self.workdir.resolve()
        for vm in windows_state.running():
            if vm.build_dir.resolve().is_relative_to(root):
                try:
                    self._kill(vm)
                except WorldbuilderError:
                    pass


class _PortTaken(Exception):
    """QEMU could not bind the SSH forward: another process took the free port first."""
