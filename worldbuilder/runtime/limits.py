"""Resource limits of one computer, shared by every provider (Docker: cgroups; QEMU/libvirt: -m/-smp)."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass

from worldbuilder.errors import WorldbuilderError

MEMORY_RE = re.compile(r"^(\d+(?:\.\d+)?)([bkmg]?)$", re.IGNORECASE)
UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def parse_bytes(text: str, what: str = "size", minimum: int = 1) -> int:
    """``512m``/``2g``/``1048576`` -> bytes; zero, negative and malformed sizes are refused."""
    m = MEMORY_RE.match(str(text).strip())
    if not m:
        raise WorldbuilderError(f"invalid {what} {text!r} (a positive size such as 512m or 2g)")
    n = int(float(m.group(1)) * UNITS[m.group(2).lower()])
    if n < minimum:
        raise WorldbuilderError(f"{what} {text!r} is too small (at least {minimum >> 20 or 1} MB)"
                                if minimum >= 1 << 20 else f"{what} {text!r} must be positive")
    return n


@dataclass(frozen=True)
class Limits:
    """Resource limits of one computer; every value is checked (zero/negative never mean unlimited)."""

    cpus: float = 1.0
    memory: str = "1g"
    pids: int = 512
    disk: str | None = "2g"  # quota on what the computer writes (see docker_quota); None: no quota

    @property
    def disk_bytes(self) -> int | None:
        return parse_bytes(self.disk, "disk quota", minimum=16 << 20) if self.disk else None

    def __post_init__(self) -> None:
        ncpu = os.cpu_count() or 1
        if not 0.01 <= float(self.cpus) <= ncpu:
            raise WorldbuilderError(f"cpus must be between 0.01 and {ncpu} (got {self.cpus})")
        if not 16 <= int(self.pids) <= 1 << 22:
            raise WorldbuilderError(f"pids must be between 16 and {1 << 22} (got {self.pids})")
        parse_bytes(self.memory, "memory", minimum=6 << 20)
        _ = self.disk_bytes

    @property
    def memory_mb(self) -> int:
        """Memory in MiB (what a VM is given)."""
        return max(64, parse_bytes(self.memory, "memory") >> 20)

    @property
    def vcpus(self) -> int:
        """Whole virtual CPUs (what a VM is given)."""
        return max(1, math.ceil(float(self.cpus)))
