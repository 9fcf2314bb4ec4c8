"""Snapshots of a ``windows-qemu`` computer: qcow2 overlay generations per day (see :mod:`windows_layers`).

``snapshot(label)`` flushes the guest's volumes over SSH (when a handle is given), then freezes the live
overlays in one QMP transaction; the VM goes on in new overlays without pausing. Refs are
``<build dir>@<label>``: ``boot`` of a ref starts Windows on a new generation backed by the frozen one
(a cold boot from the disk state: RAM is not saved). ``restore`` stops the running VM and boots the ref.
``diff`` reads both frozen layers with dissect.ntfs (no boot, no mount; the listing is cached in the index,
since frozen layers never change); ``INITIAL`` ("latest") is the fresh build and valid as ``a``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from worldbuilder.errors import (
    CallFailed,
    ComputerNotRunning,
    ComputerUnreachable,
    SnapshotError,
    SnapshotNotFound,
)
from worldbuilder.materialize.file_index import INITIAL
from worldbuilder.runtime import windows_state
from worldbuilder.runtime.computer import Computer, FileDiff, SnapshotInfo, Snapshots, validate_label
from worldbuilder.runtime.ntfs_files import computer_files
from worldbuilder.runtime.windows_layers import Layers

if TYPE_CHECKING:
    from worldbuilder.runtime.provider_windows_qemu import WindowsQemuProvider

FLUSH = "Write-VolumeCache -DriveLetter C; if (Test-Path D:\\) { Write-VolumeCache -DriveLetter D }"


def snapshot_ref(build_dir: Path, label: str) -> str:
    return f"{build_dir}@{label}"


class WindowsSnapshots(Snapshots):
    """Snapshots of the running Windows VM ``name``; ``computer`` (its handle) is used to flush its volumes."""

    def __init__(self, provider: WindowsQemuProvider, name: str, build_dir: Path, account: str,
                 computer: Computer | None = None) -> None:
        self.provider, self.name, self.computer = provider, name, computer
        self.build_dir, self.account = Path(build_dir), account
        self.layers = Layers(self.build_dir)

    def snapshot(self, label: str) -> SnapshotInfo:
        validate_label(label)
        self._flush(label)
        try:
            vm = windows_state.load(self.name)
        except ComputerNotRunning as exc:
            raise SnapshotError(f"cannot snapshot {self.name}: {exc}") from exc
        if vm.build_dir != self.build_dir:
            raise SnapshotError(f"{self.name} runs {vm.build_dir}, not {self.build_dir}")
        new = self.layers.freeze(vm.qmp, vm.generation, vm.vars, label)
        windows_state.save(vm.model_copy(update={"generation": new}))
        rec = self.layers.record(label)
        return SnapshotInfo(label, snapshot_ref(self.build_dir, label), rec.created)

    def _flush(self, label: str) -> None:
        """Ask Windows to write its volumes' caches to disk (no handle given: nothing to ask, e.g. the tests)."""
        if self.computer is None:
            return
        try:
            try:
                res = self.computer.exec(FLUSH, timeout=300)
            except ComputerUnreachable:  # a closed handle (the CLI attaches, then closes): use a fresh one
                with self.provider.attach(self.name) as fresh:
                    res = fresh.exec(FLUSH, timeout=300)
        except CallFailed as exc:
            raise SnapshotError(f"{self.name}: flushing the volumes before {label} failed: {exc}") from exc
        if not res.ok:
            raise SnapshotError(f"{self.name}: flushing the volumes before {label} failed: "
                                f"{res.stderr.strip()[-200:]}")

    def list(self) -> list[SnapshotInfo]:
        out = []
        for label in self.layers.index():
            try:
                rec = self.layers.record(label)
            except SnapshotNotFound:
                continue
            out.append(SnapshotInfo(label, snapshot_ref(self.build_dir, label), rec.created))
        return sorted(out, key=lambda s: (s.created, s.label))

    def restore(self, label: str) -> Computer:
        """Stop the VM and boot Windows again on the disks of ``label`` (same name)."""
        validate_label(label)
        self.layers.record(label)
        if self.computer is not None:
            self.computer.close()
        try:
            self.provider.stop(self.name)
        except ComputerNotRunning:  # already gone (a dead computer): just boot the snapshot
            pass
        return self.provider.boot(snapshot_ref(self.build_dir, label), name=self.name)

    def files(self, label: str) -> dict[str, str]:
        """{tree path: sha256} of the computer's files at ``label``, read from the frozen disks."""
        if label == INITIAL:
            return computer_files(self.layers.tops(INITIAL), self.account)
        rec = self.layers.record(label)
        if rec.files is None:
            files = computer_files(self.layers.tops(label), self.account)
            index = self.layers.index()
            index[label] = rec.model_copy(update={"files": files})
            self.layers.save_index(index)
            return files
        return rec.files

    def diff(self, a: str, b: str) -> FileDiff:
        fa, fb = self.files(a), self.files(b)
        return FileDiff(added=sorted(set(fb) - set(fa)), deleted=sorted(set(fa) - set(fb)),
                        changed=sorted(p for p in set(fa) & set(fb) if fa[p] != fb[p]))

    def export(self, label: str, path: str | Path) -> Path:
        """Flatten ``label`` into a folder (os.qcow2, data.qcow2, vars.fd) that boots without this build."""
        path = Path(path)
        if path.is_dir():
            path = path / f"windows-{self.build_dir.name}-{label}"
        return self.layers.export(label, path)
