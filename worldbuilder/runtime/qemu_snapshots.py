"""Snapshots of QEMU computers: internal qcow2 snapshots taken live (``savevm``: disk + RAM + devices).

``snapshot(label)`` first lists every file under the layout roots with its sha256 over SSH (the
same lister the Docker backend runs), then runs ``savevm`` through QMP; both go into
``snapshots.json`` next to the disk, so ``diff(a, b)`` is exact and needs no boot. ``restore`` on a
running VM is ``loadvm`` (instant: memory, disk and devices roll back; SSH reconnects); on a stopped
disk it boots QEMU with ``-loadvm`` (resumes where the snapshot was taken, no OS boot).
``INITIAL`` ("latest") names the freshly built disk (listed at build time) and is valid as ``a`` in diff.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime

from pydantic import BaseModel

from worldbuilder.errors import SnapshotError, SnapshotNotFound
from worldbuilder.materialize.file_index import INITIAL, LISTER
from worldbuilder.materialize.vm import VMDisk, load_disk
from worldbuilder.runtime.computer import Computer, FileDiff, SnapshotInfo, Snapshots, validate_label
from worldbuilder.runtime.qmp import QMP

INDEX_FILE = "snapshots.json"


class SnapshotRecord(BaseModel):
    label: str
    created: datetime
    files: dict[str, str]  # path relative to the layout root -> sha256 or "link:<target>"


def list_files(computer: Computer, disk: VMDisk) -> dict[str, str]:
    """{path relative to the layout root: sha256} of every file in the computer, read over SSH."""
    mounts = json.dumps(disk.mounts)
    quoted = "'" + mounts.replace("'", "'\\''") + "'"
    res = computer.exec(f"sync; python3 -c {_quote(LISTER)} {quoted}", timeout=600)
    if not res.ok:
        raise SnapshotError(f"listing files in {computer.name} failed: {res.stderr.strip()[-200:]}")
    return json.loads(res.stdout)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


class QemuSnapshots(Snapshots):
    """Snapshots of the VM named ``name`` (its disk is found through the running state, or ``disk``)."""

    def __init__(self, name: str, disk: VMDisk | None = None) -> None:
        from worldbuilder.runtime.qemu_backend import QemuBackend

        self.name, self.backend = name, QemuBackend()
        self.disk = disk or load_disk(self.backend.state(name).disk_dir)

    # ------------------------------------------------------------------ index
    def _index(self) -> dict[str, SnapshotRecord]:
        path = self.disk.dir / INDEX_FILE
        if not path.exists():
            return {}
        raw = json.loads(path.read_text())
        return {k: SnapshotRecord.model_validate(v) for k, v in raw.items()}

    def _save_index(self, index: dict[str, SnapshotRecord]) -> None:
        path = self.disk.dir / INDEX_FILE
        tmp = path.with_name(f".{INDEX_FILE}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps({k: v.model_dump(mode="json") for k, v in index.items()}, indent=1))
        os.replace(tmp, path)

    def _record(self, label: str) -> SnapshotRecord:
        rec = self._index().get(label)
        if rec is None or (label != INITIAL and label not in self.qcow2_snapshots()):
            raise SnapshotNotFound(f"no snapshot {label!r} of VM {self.name}")
        return rec

    # ------------------------------------------------------------------ api
    def snapshot(self, label: str) -> SnapshotInfo:
        """List the files, then ``savevm`` the running VM (paused while saving)."""
        validate_label(label)
        with self._attach() as computer:
            files = list_files(computer, self.disk)
        created = datetime.now(UTC).replace(microsecond=0)
        out = self._hmp(f"savevm {label}")
        if out.strip():
            raise SnapshotError(f"savevm {label} failed: {out.strip()[:200]}")
        if label not in self.qcow2_snapshots():
            raise SnapshotError(f"savevm {label} reported success but the snapshot is missing")
        index = self._index()
        index[label] = SnapshotRecord(label=label, created=created, files=files)
        self._save_index(index)
        return SnapshotInfo(label, f"{self.disk.disk_path}@{label}", created)

    # the engine-specific part (QEMU here; libvirt overrides these four)
    def _attach(self) -> Computer:
        return self.backend.attach(self.name)

    def _hmp(self, command: str, resume: bool = False) -> str:
        with QMP(self.backend.state(self.name).qmp) as qmp:
            out = qmp.hmp(command, timeout=600)
            if resume and not out.strip():
                qmp.execute("cont")
        return out

    def _running(self) -> bool:
        return self.name in {vm.name for vm in self.backend.list_running()}

    def _boot_at(self, label: str) -> Computer:
        return self.backend.boot(self.disk, name=self.name, loadvm=label)

    def list(self) -> list[SnapshotInfo]:
        present = set(self.qcow2_snapshots())
        out = [SnapshotInfo(r.label, f"{self.disk.disk_path}@{r.label}", r.created)
               for r in self._index().values() if r.label in present]
        return sorted(out, key=lambda s: (s.created, s.label))

    def restore(self, label: str) -> Computer:
        """Roll the VM back to ``label`` (``loadvm`` when running, boot with ``-loadvm`` otherwise)."""
        validate_label(label)
        self._record(label)
        if not self._running():
            return self._boot_at(label)
        out = self._hmp(f"loadvm {label}", resume=True)
        if out.strip():
            raise SnapshotError(f"loadvm {label} failed: {out.strip()[:200]}")
        return self._reattach()

    def _reattach(self) -> Computer:
        return self.backend.attach(self.name, connect_timeout=60.0)

    def files(self, label: str) -> dict[str, str]:
        return self._record(label).files

    def diff(self, a: str, b: str) -> FileDiff:
        fa, fb = self.files(a), self.files(b)
        return FileDiff(added=sorted(set(fb) - set(fa)), deleted=sorted(set(fa) - set(fb)),
                        changed=sorted(p for p in set(fa) & set(fb) if fa[p] != fb[p]))

    def qcow2_snapshots(self) -> list[str]:
        """Names of the internal snapshots in the qcow2 (readable while the VM runs: ``-U``)."""
        proc = subprocess.run(["qemu-img", "snapshot", "-U", "-l", str(self.disk.disk_path)],
                              capture_output=True, text=True, timeout=60)
        if proc.returncode != 0:
            raise SnapshotError(f"qemu-img snapshot -l failed: {proc.stderr.strip()[-200:]}")
        names = []
        for line in proc.stdout.splitlines()[2:]:
            parts = line.split()
            if len(parts) >= 2:
                names.append(parts[1])
        return names
