"""Helpers for the Windows-computer tests: a generated computer with the Windows layout, readers."""

from __future__ import annotations

import shutil
import struct
import subprocess
import uuid
from pathlib import Path

import pytest

from worldbuilder.personas import sample_personas

NEEDED = ("wimlib-imagex", "mkntfs", "ntfssecaudit", "ntfsls", "ntfsinfo", "sfdisk", "qemu-img", "genisoimage",
          "isoinfo", "xmllint", "virt-xml-validate")


def require_tools() -> None:
    """FAIL (not skip) when the windows engine is missing: CI installs it (scripts/ensure-engine.sh windows)."""
    missing = [t for t in NEEDED if shutil.which(t) is None]
    if missing:
        pytest.fail(f"windows tools missing: {', '.join(missing)}; run scripts/ensure-engine.sh windows")


def windows_persona(size: str = "small") -> tuple[str, int]:
    """The first built-in persona and seed whose offline plan has the Windows layout."""
    from worldbuilder import api

    for persona in sample_personas(3, seed=0):
        for seed in range(12):
            if api.plan(persona, seed=seed, size=size).layout.kind == "windows":  # type: ignore[arg-type]
                return persona, seed
    raise AssertionError("no built-in persona gives a Windows layout in 12 seeds")


def generate_windows_computer(out: Path, size: str = "small") -> Path:
    from worldbuilder import api

    persona, seed = windows_persona(size)
    return api.generate(persona, out, seed=seed, size=size)  # type: ignore[arg-type]


def raw_copy(qcow2: Path, raw: Path) -> Path:
    subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", str(qcow2), str(raw)], check=True)
    return raw


def read_gpt(raw: Path) -> list[dict]:
    """Partitions of a GPT disk image, parsed here from the on-disk structures (not with sfdisk)."""
    with open(raw, "rb") as fh:
        fh.seek(512)
        hdr = fh.read(92)
        assert hdr[:8] == b"EFI PART", "no GPT header at LBA 1"
        entries_lba, count, size = struct.unpack_from("<QII", hdr, 72)
        fh.seek(entries_lba * 512)
        table = fh.read(count * size)
    out = []
    for i in range(count):
        e = table[i * size: (i + 1) * size]
        if e[:16] == b"\0" * 16:
            continue
        first, last = struct.unpack_from("<QQ", e, 32)
        out.append({"type": str(uuid.UUID(bytes_le=e[:16])).upper(), "first": first, "last": last,
                    "name": e[56:128].decode("utf-16-le").rstrip("\0")})
    return out


def extract_partition(raw: Path, part: dict, out: Path) -> Path:
    """The partition as its own image file (qemu-img's raw driver with an offset)."""
    offset, length = part["first"] * 512, (part["last"] - part["first"] + 1) * 512
    opts = f"driver=raw,offset={offset},size={length},file.driver=file,file.filename={raw}"
    subprocess.run(["qemu-img", "convert", "-O", "raw", "--image-opts", opts, str(out)], check=True)
    return out
