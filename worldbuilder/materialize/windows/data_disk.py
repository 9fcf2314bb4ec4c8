"""The ``D:`` data disk of a Windows computer as a qcow2, built without mounting anything.

Steps (all on regular files, no loop device, no FUSE):

1. check every name in the tree against :mod:`names` (one error line naming the file);
2. ``wimlib-imagex capture --source-list``: ``tree/D`` becomes the volume root and the profile
   ``tree/C/Users/<Name>`` becomes ``\\WB-Staging\\Profile`` (times kept at 100 ns);
3. ``mkntfs`` a partition image (label ``Data``), ``wimlib-imagex apply`` the image onto it;
4. ``ntfssecaudit -se`` gives every file and folder a Windows-like security descriptor
   (:mod:`security`), and hidden ones the hidden attribute;
5. ``sfdisk`` writes a GPT with one "Microsoft basic data" partition named ``Data`` at 1 MiB, the
   partition image is copied into it extent by extent (holes stay holes), ``qemu-img convert``.

Disk and partition GUIDs and the volume serial derive from the computer id and ``mkntfs -T`` fakes
its clock; NTFS "MFT changed" times are still the build time, so two builds hold equal files,
names, times and descriptors but are not byte-identical.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from worldbuilder.errors import EngineUnavailable, WorldbuilderError
from worldbuilder.materialize.windows import security
from worldbuilder.materialize.windows.layout import WindowsLayout
from worldbuilder.materialize.windows.names import check_paths

MIB = 1 << 20
GIB = 1 << 30
SECTOR = 512
PART_START = MIB  # first partition at 1 MiB, as Windows aligns it
BASIC_DATA = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"  # "Microsoft basic data" partition type GUID
LABEL = "Data"
STAGING = "WB-Staging"  # folder on D: with the staged profile; provision.ps1 copies and removes it
STAGED_PROFILE = f"{STAGING}/Profile"
DEFAULT_SIZE = 16 * GIB
HIDDEN, DIRECTORY, ARCHIVE = 0x2, 0x10, 0x20  # FILE_ATTRIBUTE_*
TOOLS = ("wimlib-imagex", "mkntfs", "ntfssecaudit", "sfdisk", "qemu-img")


class DataDiskError(WorldbuilderError):
    """The D: data disk could not be built."""


@dataclass(frozen=True)
class DataDisk:
    path: Path
    virtual_size: int  # bytes
    files: int  # regular files on the volume (D: tree + staged profile)
    dirs: int
    seconds: float


def check_tools() -> None:
    for tool in TOOLS:
        if shutil.which(tool) is None:
            raise EngineUnavailable(f"{tool} is not installed; run scripts/ensure-engine.sh windows")


def volume_entries(lay: WindowsLayout, tree: Path) -> list[tuple[str, Path]]:
    """(path on the volume, host path) of every file and folder the disk will hold, sorted, validated.

    Volume paths are POSIX, relative to ``D:\\``; names Windows cannot hold raise ``WindowsNameError``.
    """
    out: list[tuple[str, Path]] = [(STAGING, tree)]  # the staging folders are folders on the volume too
    if lay.profile_dir(tree) is not None:
        out.append((STAGED_PROFILE, tree / lay.profile_rel))
    for prefix, src in ((STAGED_PROFILE, lay.profile_dir(tree)), ("", lay.data_dir(tree))):
        if src is None:
            continue
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames.sort()
            for name in [*dirnames, *sorted(filenames)]:
                host = Path(dirpath) / name
                if host.is_symlink() or not (host.is_dir() or host.is_file()):
                    raise DataDiskError(f"{host.relative_to(tree).as_posix()}: only regular files and folders "
                                        "can go on a Windows disk")
                rel = host.relative_to(src).as_posix()
                out.append((f"{prefix}/{rel}" if prefix else rel, host))
    by_volume = {v: h for v, h in out}
    spelled = {v: h.relative_to(tree).as_posix() for v, h in by_volume.items()}
    try:
        check_paths(by_volume)
    except WorldbuilderError as exc:  # name the file as it is in the computer's tree
        first, _, rest = str(exc).partition(": ")
        raise type(exc)(f"{spelled.get(first, first)}: {rest}") from exc
    return sorted(out)


def acl_script(entries: list[tuple[str, Path]], tree: Path, hidden: frozenset[str] = frozenset()) -> str:
    """Input for ``ntfssecaudit -se``: every path with its security descriptor as a hex dump, and the
    Windows attributes (hidden + archive/directory) of the tree-relative paths in ``hidden``."""
    dumps = {kind: _hexdump(security.descriptor(kind)) for kind in ("root", "dir", "file")}
    lines = ["#", "Directory /", dumps["root"]]
    for vol, host in entries:
        kind = "dir" if host.is_dir() else "file"
        lines += [f"{'Directory' if kind == 'dir' else 'File'} /{vol}", dumps[kind]]
        if vol != STAGING and host.relative_to(tree).as_posix() in hidden:
            lines.append(f"Windows attrib : 0x{HIDDEN | (DIRECTORY if kind == 'dir' else ARCHIVE):x}")
    return "\n".join(lines) + "\n"


def _hexdump(sd: bytes) -> str:
    rows = []
    for off in range(0, len(sd), 16):
        chunk = sd[off: off + 16]
        rows.append(f"        {off:06x}  " + " ".join(chunk[i: i + 4].hex() for i in range(0, len(chunk), 4)))
    return "\n".join(rows)


def build_data_disk(lay: WindowsLayout, tree: Path, out: Path, size: int = DEFAULT_SIZE,
                    computer_id: str = "", hidden: frozenset[str] = frozenset()) -> DataDisk:
    """Build the qcow2 at ``out`` (atomically: a temp file renamed into place).

    ``hidden``: tree-relative paths that get the Windows hidden attribute (see ``layout.hidden_paths``).
    """
    started = time.monotonic()
    check_tools()
    entries = volume_entries(lay, tree)
    if size < 64 * MIB or size % MIB:
        raise DataDiskError(f"data disk size must be a whole number of MiB >= 64 MiB, not {size}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".wb-ddisk-", dir=out.parent) as tmp:
        work = Path(tmp)
        part = work / "part.img"
        _capture_and_apply(lay, tree, work, part, size - 2 * PART_START)
        (work / "acl.txt").write_text(acl_script(entries, tree, hidden), encoding="utf-8")
        _run(["ntfssecaudit", "-se", str(part), str(work / "acl.txt")], "setting security descriptors")
        raw = work / "disk.raw"
        _write_gpt(raw, size, part, computer_id or lay.account)
        part.unlink()
        _run(["qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2", str(raw), str(work / "disk.qcow2")],
             "qemu-img convert")
        os.replace(work / "disk.qcow2", out)
    files = sum(1 for _, h in entries if h.is_file())
    return DataDisk(out, size, files, len(entries) - files, round(time.monotonic() - started, 3))


def _capture_and_apply(lay: WindowsLayout, tree: Path, work: Path, part: Path, part_size: int) -> None:
    empty = work / "empty"
    empty.mkdir()
    staging = work / "staging"  # the WB-Staging folder itself, timed like the profile folder
    staging.mkdir()
    profile = lay.profile_dir(tree)
    if profile is not None:
        st = profile.stat()
        os.utime(staging, ns=(st.st_atime_ns, st.st_mtime_ns))
    sources = [(lay.data_dir(tree) or empty, "/"), (staging, f"/{STAGING}")]
    if profile is not None:
        sources.append((profile, f"/{STAGED_PROFILE}"))
    for src, _ in sources:
        if any(c in str(src) for c in "\n\"") or str(src) != str(src).strip():
            raise DataDiskError(f"cannot capture a path with quotes, newlines or edge spaces: {src}")
    (work / "sources.txt").write_text("".join(f'"{src}" "{dst}"\n' for src, dst in sources), encoding="utf-8")
    wim = work / "data.wim"
    _run(["wimlib-imagex", "capture", str(work / "sources.txt"), str(wim), LABEL, "--source-list",
          "--compress=none", "--no-acls", "--norpfix"], "wimlib-imagex capture")
    with open(part, "wb") as fh:
        fh.truncate(part_size)
    _run(["mkntfs", "-q", "-F", "-Q", "-T", "-L", LABEL, "-s", str(SECTOR), "-c", "4096",
          "-p", str(PART_START // SECTOR), "-H", "255", "-S", "63", str(part)], "mkntfs")
    set_serial(part, volume_serial(lay.computer_id))
    _run(["wimlib-imagex", "apply", str(wim), "1", str(part), "--quiet"], "wimlib-imagex apply")
    wim.unlink()


def volume_serial(computer_id: str) -> int:
    """The NTFS volume serial number of a computer's D: (mkntfs -T alone gives every disk the same one)."""
    return int.from_bytes(hashlib.sha256(f"worldbuilder-ntfs-serial:{computer_id}".encode()).digest()[:8], "little")


def set_serial(part: Path, serial: int) -> None:
    """Write ``serial`` into the NTFS boot sector and its backup (the partition's last sector)."""
    size = part.stat().st_size
    with open(part, "r+b") as fh:
        for offset in (0, size - SECTOR):
            fh.seek(offset)
            if fh.read(11)[3:] != b"NTFS    ":
                raise DataDiskError(f"no NTFS boot sector at byte {offset} of {part.name}")
            fh.seek(offset + 0x48)
            fh.write(serial.to_bytes(8, "little"))


def _write_gpt(raw: Path, size: int, part: Path, seed: str) -> None:
    disk_guid = uuid.uuid5(uuid.NAMESPACE_URL, f"worldbuilder-windows-disk:{seed}")
    part_guid = uuid.uuid5(uuid.NAMESPACE_URL, f"worldbuilder-windows-part:{seed}")
    with open(raw, "wb") as fh:
        fh.truncate(size)
    script = (f"label: gpt\nlabel-id: {disk_guid}\nunit: sectors\nfirst-lba: 34\n"
              f"start={PART_START // SECTOR}, size={part.stat().st_size // SECTOR}, type={BASIC_DATA}, "
              f"uuid={part_guid}, name=\"{LABEL}\"\n")
    proc = subprocess.run(["sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", "--wipe", "never", str(raw)],
                          input=script, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise DataDiskError(f"sfdisk failed: {_tail(proc.stderr or proc.stdout)}")
    copy_extents(part, raw, PART_START)


def copy_extents(src: Path, dst: Path, offset: int) -> None:
    """Copy the data extents of sparse ``src`` into ``dst`` at ``offset`` (holes are not written)."""
    with open(src, "rb") as fin, open(dst, "r+b") as fout:
        fd_in, fd_out, end, pos = fin.fileno(), fout.fileno(), os.fstat(fin.fileno()).st_size, 0
        while pos < end:
            try:
                start = os.lseek(fd_in, pos, os.SEEK_DATA)
            except OSError:  # ENXIO: only a hole remains
                break
            stop = os.lseek(fd_in, start, os.SEEK_HOLE)
            while start < stop:
                n = os.copy_file_range(fd_in, fd_out, stop - start, start, offset + start)
                if n <= 0:
                    raise DataDiskError(f"short copy of {src} into {dst}")
                start += n
            pos = stop


def _run(cmd: list[str], what: str, timeout: float = 600) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise DataDiskError(f"{what} failed (exit {proc.returncode}): {_tail(proc.stderr or proc.stdout)}")


def _tail(text: str) -> str:
    return " | ".join(ln.strip() for ln in text.strip().splitlines()[-2:]) or "no output"
