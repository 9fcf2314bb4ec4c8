"""Append-only JSONL manifest: one ``O_APPEND`` write + fsync per record, so a line is whole or absent.

A ``kill -9`` can at worst cut the very last line short; readers skip a line that does not parse.
One driver per fleet at a time: :func:`driver_lock` holds an ``flock`` on ``FLEET_DIR/.driver.lock``.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent_harness.fleet.models import FleetConfig, Record
from worldbuilder.errors import WorldbuilderError

CONFIG_FILE = "fleet.json"
MANIFEST_FILE = "manifest.jsonl"
LOCK_FILE = ".driver.lock"


class FleetError(WorldbuilderError):
    """A fleet directory is missing, inconsistent or already being driven."""


def append(fleet_dir: Path, record: Record) -> None:
    """Append one record atomically (a single write of a whole line) and make it durable."""
    append_many(fleet_dir, [record])


def append_many(fleet_dir: Path, recs: list[Record]) -> None:
    """Append records with one write and one fsync (a torn tail loses only whole-or-partial last lines)."""
    line = "".join(json.dumps(r.model_dump(mode="json"), separators=(",", ":")) + "\n" for r in recs).encode()
    fd = os.open(fleet_dir / MANIFEST_FILE, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        _repair_tail(fd)
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def _repair_tail(fd: int) -> None:
    """If a killed writer left a partial last line, end it so the next record starts on its own line."""
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
        os.write(fd, b"\n")


def records(fleet_dir: Path) -> Iterator[Record]:
    """Every whole record in file order (a torn or foreign line is skipped)."""
    path = fleet_dir / MANIFEST_FILE
    if not path.exists():
        return
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                yield Record.model_validate_json(line)
            except ValueError:
                continue


def latest(fleet_dir: Path) -> dict[tuple[str, str], Record]:
    """The latest record per (job, stage)."""
    return {(r.job, r.stage): r for r in records(fleet_dir)}


def failures(fleet_dir: Path) -> dict[tuple[str, str], int]:
    """How many failed attempts each (job, stage) has had."""
    out: dict[tuple[str, str], int] = {}
    for r in records(fleet_dir):
        if r.state == "failed":
            out[(r.job, r.stage)] = out.get((r.job, r.stage), 0) + 1
    return out


def write_config(fleet_dir: Path, cfg: FleetConfig) -> None:
    tmp = fleet_dir / f".{CONFIG_FILE}.tmp-{os.getpid()}"
    tmp.write_text(cfg.model_dump_json(indent=1) + "\n")
    os.replace(tmp, fleet_dir / CONFIG_FILE)


def load_config(fleet_dir: Path) -> FleetConfig:
    path = Path(fleet_dir) / CONFIG_FILE
    if not path.is_file():
        raise FleetError(f"{fleet_dir} is not a fleet directory (no {CONFIG_FILE})")
    try:
        return FleetConfig.model_validate_json(path.read_text())
    except ValueError as exc:
        raise FleetError(f"{path} is not a valid fleet config: {str(exc).splitlines()[0]}") from exc


@contextmanager
def driver_lock(fleet_dir: Path) -> Iterator[None]:
    """Hold the fleet's driver lock (released by the kernel if the driver is killed)."""
    fd = os.open(fleet_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            raise FleetError(f"{fleet_dir} is being run by another driver (pid {pid})") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        yield
    finally:
        os.close(fd)
