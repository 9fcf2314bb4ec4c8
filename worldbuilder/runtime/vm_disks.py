"""Run-private VM disks: a copy of a built disk directory whose qcow2 is an overlay on the built one.

A simulation snapshots and restores its own disk (internal qcow2 snapshots in the overlay), so the built
disk stays untouched and any number of runs share it. Refs of VM snapshots are ``<disk dir>@<label>``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from worldbuilder.errors import ImageNotFound, WorldbuilderError
from worldbuilder.materialize.vm import META_FILE, VMDisk, find_disk, load_disk


def private_disk(base: VMDisk, dest: Path, name: str) -> VMDisk:
    """``dest`` as a disk directory whose qcow2 is backed by ``base`` (reused when already made from it)."""
    if (dest / META_FILE).exists():
        disk = load_disk(dest)
        if disk.build_hash == base.build_hash:
            return disk
        shutil.rmtree(dest)
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for f in (base.kernel, base.initrd, "snapshots.json"):
        if (base.dir / f).exists():
            shutil.copy2(base.dir / f, tmp / f)
    proc = subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b", str(base.disk_path),
                           str(tmp / base.disk)], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        raise WorldbuilderError(f"cannot create an overlay on {base.disk_path}: {proc.stderr.strip()[-200:]}")
    base.model_copy(update={"dir": tmp, "name": name}).save()
    os.replace(tmp, dest)
    return load_disk(dest)


def split_ref(ref: str) -> tuple[VMDisk, str | None]:
    """(disk, snapshot label or None) of a VM ref: a disk dir, a computer dir/id, or ``<disk>@<label>``."""
    where, at, label = ref.rpartition("@")
    if at and label and "/" not in label:
        path = Path(where)
        return load_disk(path.parent if path.suffix == ".qcow2" else path), label
    try:
        return find_disk(ref), None
    except ImageNotFound:
        raise
    except (OSError, ValueError) as exc:
        raise ImageNotFound(f"no VM disk or snapshot {ref!r}") from exc
