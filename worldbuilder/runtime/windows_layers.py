"""Day snapshots of a Windows VM as qcow2 overlay generations (``<build>/layers/``).

A running VM never writes the build's own disks (``os.qcow2``, ``data.qcow2``): every boot gets a new
generation ``gNNNN.os.qcow2`` + ``gNNNN.data.qcow2`` (overlays backed by the build's disks, or by a snapshot's
generation) and its own copy of the UEFI variable store ``gNNNN.vars.fd``. A snapshot freezes the live
generation: new overlays backed by it are created with ``qemu-img`` and QEMU switches both disks to them in
one QMP ``transaction`` of ``blockdev-snapshot-sync`` (``mode=existing``), so the frozen files are never
written again and each holds exactly the changes since the previous snapshot. The variable store is copied
beside it (``<label>.vars.fd``). Backing names are relative, so a copied ``layers/`` (a forked run) is
self-contained.

Why overlays and not ``savevm``: a UEFI guest has a writable raw pflash variable store, and QEMU refuses
internal snapshots then ("Device 'pflash1' is writable but does not support snapshots"). The price: RAM is not
saved, so restoring boots Windows from the disk state. ``snapshot`` asks the guest to flush its volumes first
(``Write-VolumeCache``), so what was saved on disk is in the layer.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel

from worldbuilder.errors import SnapshotError, SnapshotNotFound
from worldbuilder.materialize.file_index import INITIAL
from worldbuilder.runtime.qmp import QMP, QMPError

LAYERS = "layers"
INDEX = "snapshots.json"
DRIVES = {"os": "osdisk", "data": "datadisk"}  # disk -> QEMU drive id (machine.qemu_command)
GEN_RE = re.compile(r"^g(\d{4,})\.(os|data)\.qcow2$")


class LayerRecord(BaseModel):
    label: str
    generation: int  # the frozen generation holding the disks at the snapshot
    vars: str  # the UEFI variable store copied at the snapshot (file in layers/)
    created: datetime
    files: dict[str, str] | None = None  # NTFS listing (filled by the first diff; frozen layers never change)


class Layers:
    """The overlay generations and snapshot index of one Windows build directory."""

    def __init__(self, build_dir: Path, bases: dict[str, str] | None = None, vars_template: str = "OVMF_VARS.fd"):
        self.build_dir = Path(build_dir)
        self.dir = self.build_dir / LAYERS
        self.bases = bases or {"os": "os.qcow2", "data": "data.qcow2"}
        self.vars_template = vars_template

    # ------------------------------------------------------------------ paths
    def disk(self, generation: int, kind: str) -> Path:
        return self.dir / f"g{generation:04d}.{kind}.qcow2"

    def vars_path(self, name: str) -> Path:
        return self.dir / name

    def tops(self, label: str) -> dict[str, Path]:
        """The top file of each disk's chain at ``label`` (``INITIAL``: the build's own disks)."""
        if label == INITIAL:
            return {k: self.build_dir / v for k, v in self.bases.items()}
        rec = self.record(label)
        return {k: self.disk(rec.generation, k) for k in self.bases}

    def generations(self) -> list[int]:
        if not self.dir.is_dir():
            return []
        return sorted({int(m.group(1)) for p in self.dir.iterdir() if (m := GEN_RE.match(p.name))})

    # ------------------------------------------------------------------ index
    def index(self) -> dict[str, LayerRecord]:
        path = self.dir / INDEX
        if not path.exists():
            return {}
        return {k: LayerRecord.model_validate(v) for k, v in json.loads(path.read_text()).items()}

    def save_index(self, index: dict[str, LayerRecord]) -> None:
        self.dir.mkdir(exist_ok=True, mode=0o700)
        path = self.dir / INDEX
        tmp = path.with_name(f".{INDEX}.tmp-{os.getpid()}")
        tmp.write_text(json.dumps({k: v.model_dump(mode="json") for k, v in index.items()}, indent=1))
        os.replace(tmp, path)

    def record(self, label: str) -> LayerRecord:
        rec = self.index().get(label)
        if rec is None or not all(self.disk(rec.generation, k).exists() for k in self.bases):
            raise SnapshotNotFound(f"no snapshot {label!r} of the Windows computer in {self.build_dir}")
        return rec

    # ------------------------------------------------------------------ generations
    def new_generation(self, label: str | None = None) -> tuple[int, str]:
        """Overlays for a boot (backed by snapshot ``label``, or the build's disks) and a variable store."""
        rec = self.record(label) if label else None
        self.dir.mkdir(exist_ok=True, mode=0o700)
        gen = max(self.generations(), default=0) + 1
        backing = {k: (self.disk(rec.generation, k).name if rec else f"../{v}") for k, v in self.bases.items()}
        created = self._overlays(gen, backing)
        vars_name = f"g{gen:04d}.vars.fd"
        src = self.vars_path(rec.vars) if rec else self.build_dir / self.vars_template
        try:
            shutil.copyfile(src, self.vars_path(vars_name))
        except OSError as exc:
            for p in created:
                p.unlink(missing_ok=True)
            raise SnapshotError(f"cannot copy the UEFI variable store {src}: {exc.strerror}") from exc
        return gen, vars_name

    def discard(self, generation: int, vars_name: str) -> None:
        """Remove a generation that never ran (a failed boot); frozen ones are never discarded."""
        if any(r.generation == generation for r in self.index().values()):
            return
        for kind in self.bases:
            self.disk(generation, kind).unlink(missing_ok=True)
        self.vars_path(vars_name).unlink(missing_ok=True)

    def _overlays(self, gen: int, backing: dict[str, str]) -> list[Path]:
        created: list[Path] = []
        for kind, back in backing.items():
            path = self.disk(gen, kind)
            proc = subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", back, "-F", "qcow2", path.name],
                                  cwd=self.dir, capture_output=True, text=True, timeout=120)
            if proc.returncode != 0:
                for p in created:
                    p.unlink(missing_ok=True)
                raise SnapshotError(f"qemu-img create {path.name} failed: {proc.stderr.strip()[-200:]}")
            created.append(path)
        return created

    def freeze(self, qmp_path: Path, live: int, live_vars: str, label: str) -> int:
        """Freeze generation ``live`` as snapshot ``label``; QEMU goes on in a new generation (returned)."""
        gen = max(self.generations(), default=0) + 1
        created = self._overlays(gen, {k: self.disk(live, k).name for k in self.bases})
        actions = [{"type": "blockdev-snapshot-sync", "data": {"device": DRIVES[k], "format": "qcow2",
                    "snapshot-file": str(self.disk(gen, k)), "mode": "existing"}} for k in self.bases]
        vars_name = f"{label}.vars.fd"
        try:
            with QMP(qmp_path, timeout=60) as qmp:
                qmp.execute("transaction", actions=actions)
        except (QMPError, OSError) as exc:
            for p in created:
                p.unlink(missing_ok=True)
            raise SnapshotError(f"snapshot {label}: QEMU did not switch to new overlays ({exc})") from exc
        tmp = self.vars_path(f".{vars_name}.tmp")
        shutil.copyfile(self.vars_path(live_vars), tmp)
        os.replace(tmp, self.vars_path(vars_name))
        index = self.index()
        index[label] = LayerRecord(label=label, generation=live, vars=vars_name,
                                   created=datetime.now(UTC).replace(microsecond=0))
        self.save_index(index)
        return gen

    def export(self, label: str, out: Path) -> Path:
        """Flatten snapshot ``label`` into ``out/`` (os.qcow2, data.qcow2, vars.fd; temp dir + rename)."""
        tops = self.tops(label)
        if out.exists():
            raise SnapshotError(f"{out} exists")
        work = out.with_name(f".{out.name}.tmp-{os.getpid()}")
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        try:
            for kind, top in tops.items():
                proc = subprocess.run(["qemu-img", "convert", "-U", "-O", "qcow2", str(top), str(work / f"{kind}.qcow2")],
                                      capture_output=True, text=True, timeout=3600)
                if proc.returncode != 0:
                    raise SnapshotError(f"qemu-img convert {top.name} failed: {proc.stderr.strip()[-200:]}")
            src = self.build_dir / self.vars_template if label == INITIAL else self.vars_path(self.record(label).vars)
            shutil.copyfile(src, work / "vars.fd")
            os.replace(work, out)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
        return out
