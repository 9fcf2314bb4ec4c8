"""The files of a Windows computer, read from its (frozen) qcow2 disks with dissect.ntfs, without mounting.

A disk chain is flattened with ``qemu-img convert -U`` into a sparse raw temp file (only allocated clusters
are written), its GPT is parsed here, and every "Microsoft basic data" partition is opened with
``dissect.ntfs``. The listing uses the layout roots of the computer's tree: ``C/Users/<account>/...`` from
the OS disk (its largest NTFS volume; nothing before Windows is installed) and ``D/...`` from the data disk.
The data disk's staging folder is not the computer's file: it stands for ``C/Users/<account>`` while Windows
has not copied it into place yet (the fresh build).
"""

from __future__ import annotations

import hashlib
import struct
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

from worldbuilder.errors import SnapshotError
from worldbuilder.materialize.windows.data_disk import BASIC_DATA, STAGED_PROFILE, STAGING

SECTOR = 512


def partitions(fh) -> list[tuple[int, int]]:
    """(offset, size) in bytes of the basic-data partitions of a GPT disk (empty: no GPT)."""
    fh.seek(SECTOR)
    hdr = fh.read(92)
    if hdr[:8] != b"EFI PART":
        return []
    lba, count, size = struct.unpack_from("<QII", hdr, 72)
    fh.seek(lba * SECTOR)
    table = fh.read(count * size)
    out = []
    for i in range(count):
        e = table[i * size:(i + 1) * size]
        if str(uuid.UUID(bytes_le=e[:16])).upper() == BASIC_DATA:
            first, last = struct.unpack_from("<QQ", e, 32)
            out.append((first * SECTOR, (last - first + 1) * SECTOR))
    return out


def _walk(rec, prefix: str) -> Iterator[tuple[str, object]]:
    for name, entry in sorted(rec.listdir(ignore_dos=True).items()):
        if name in (".", "..") or name.startswith("$"):
            continue
        child = entry.dereference()
        path = f"{prefix}/{name}"
        if child.is_dir():
            yield from _walk(child, path)
        elif child.is_file():
            yield path, child


def _digest(rec) -> str:
    h = hashlib.sha256()
    with rec.open() as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def volume_files(fs, root: str, prefix: str, skip: str = "") -> dict[str, str]:
    """{prefix + path under ``root``: sha256} of every regular file of an NTFS volume (``skip``: a folder)."""
    try:
        top = fs.mft.get(root) if root else fs.mft.get(5)  # MFT record 5 is the root folder
    except Exception:  # dissect raises its own FileNotFoundError for a missing path
        return {}
    return {p: _digest(r) for p, r in _walk(top, prefix) if not (skip and p.startswith(f"{prefix}/{skip}/"))
            and p != f"{prefix}/{skip}"}


def disk_files(top: Path, kind: str, account: str) -> dict[str, str]:
    """The computer's files on one disk chain (``kind`` "os" or "data"), keyed by tree path."""
    from dissect.ntfs import NTFS
    from dissect.util.stream import RangeStream

    with tempfile.TemporaryDirectory(prefix="wb-ntfs-", dir=top.parent) as tmp:
        raw = Path(tmp) / "disk.raw"
        proc = subprocess.run(["qemu-img", "convert", "-U", "-O", "raw", str(top), str(raw)],
                              capture_output=True, text=True, timeout=3600)
        if proc.returncode != 0:
            raise SnapshotError(f"cannot read {top.name}: {proc.stderr.strip()[-200:]}")
        with open(raw, "rb") as fh:
            volumes = []
            for offset, size in partitions(fh):
                try:
                    volumes.append((size, NTFS(RangeStream(fh, offset, size))))
                except Exception:  # not NTFS (an empty or foreign partition): not the computer's files
                    continue
            if not volumes:
                return {}
            if kind == "os":
                fs = max(volumes, key=lambda v: v[0])[1]
                return volume_files(fs, f"Users/{account}", f"C/Users/{account}")
            fs = volumes[0][1]
            files = volume_files(fs, "", "D", skip=STAGING)
            files.update(volume_files(fs, STAGED_PROFILE, f"C/Users/{account}"))
            return files


def computer_files(tops: dict[str, Path], account: str) -> dict[str, str]:
    """Files of the computer (both disks); the real profile on C: wins over the staged copy on D:."""
    data = disk_files(tops["data"], "data", account) if tops.get("data") else {}
    os_files = disk_files(tops["os"], "os", account) if tops.get("os") and tops["os"].exists() else {}
    if os_files:
        data = {p: h for p, h in data.items() if not p.startswith("C/")}
    return dict(sorted({**data, **os_files}.items()))
