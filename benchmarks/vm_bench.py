"""VM backend figures: disk build time and size, boot-to-SSH-ready, snapshot and restore times.

Usage: python benchmarks/vm_bench.py [--builds 3] [--boots 3] [--size standard] [--accel kvm|tcg]
Generates one computer (offline), builds its qcow2 disk ``--builds`` times (the cached vm rootfs
is built first if missing and not counted), boots it ``--boots`` times and prints medians.
Each boot also times one live snapshot, a live restore, and a restore of the stopped VM.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path


def median_line(name: str, values: list[float], unit: str = "s") -> str:
    if not values:
        return f"{name}: n/a"
    return (f"{name}: median {statistics.median(values):.2f}{unit}  min {min(values):.2f}{unit}  "
            f"max {max(values):.2f}{unit}  (n={len(values)})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--builds", type=int, default=3)
    ap.add_argument("--boots", type=int, default=3)
    ap.add_argument("--size", default="standard")
    ap.add_argument("--accel", choices=["kvm", "tcg"], help="force an accelerator (default: detect)")
    a = ap.parse_args()
    if a.accel:
        os.environ["WORLDBUILDER_ACCEL"] = a.accel
    with tempfile.TemporaryDirectory(prefix="wb-vmbench-") as root:
        os.environ["WORLDBUILDER_HOME"] = str(Path(root) / "home")
        from worldbuilder import api
        from worldbuilder.materialize import rootfs_vm
        from worldbuilder.materialize.vm import build_vm_disk
        from worldbuilder.runtime import accel
        from worldbuilder.runtime.qemu_backend import QemuBackend
        from worldbuilder.runtime.qemu_snapshots import QemuSnapshots

        t = time.perf_counter()
        rootfs_vm.ensure_rootfs()
        print(f"vm rootfs ready in {time.perf_counter() - t:.1f}s (0 when cached)")
        comp = api.generate("a senior financial advisor at a wealth management firm in Denver",
                            Path(root) / "computer", seed=0, size=a.size)
        builds, disk = [], None
        for _ in range(a.builds):
            t = time.perf_counter()
            disk = build_vm_disk(comp, force=True)
            builds.append(time.perf_counter() - t)
        assert disk is not None
        print(f"accelerator: {accel.detect(kernel=disk.kernel_path).name} ({accel.detect().reason})")
        print(f"disk: {disk.file_count} user files, qcow2 {disk.disk_bytes / 1e6:.0f} MB on disk, "
              f"{disk.virtual_size >> 30} GiB virtual")
        print(median_line("disk build", builds))
        backend = QemuBackend()
        boots, snaps, live, stopped = [], [], [], []
        for i in range(a.boots):
            disk = build_vm_disk(comp, force=True) if i else disk  # fresh disk: a cold boot each time
            t = time.perf_counter()
            c = backend.boot(disk)
            boots.append(time.perf_counter() - t)
            s = QemuSnapshots(c.name)
            c.write("bench.txt", b"1")
            t = time.perf_counter()
            s.snapshot("bench-1")
            snaps.append(time.perf_counter() - t)
            c.write("bench.txt", b"2")
            t = time.perf_counter()
            s.restore("bench-1").close()
            live.append(time.perf_counter() - t)
            c.close()
            backend.stop(c.name)
            t = time.perf_counter()
            r = s.restore("bench-1")
            stopped.append(time.perf_counter() - t)
            r.close()
            backend.stop(r.name)
        print(median_line("boot to SSH ready", boots))
        print(median_line("live snapshot (file listing + savevm)", snaps))
        print(median_line("live restore (loadvm + reconnect)", live))
        print(median_line("restore of a stopped VM (-loadvm + SSH)", stopped))


if __name__ == "__main__":
    main()
