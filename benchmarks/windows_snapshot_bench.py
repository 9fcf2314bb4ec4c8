"""Day snapshots of a ``windows-qemu`` computer: what one snapshot, the first diff and a cached diff cost.

Usage: python benchmarks/windows_snapshot_bench.py [--days 5] [--disk-gib 16] [--size standard]
Builds one Windows-layout computer (offline, built-in persona), starts its real machine (q35, OVMF, swtpm)
under TCG on an empty "prepared" disk (no Windows here, so no guest flush: that adds Windows' own
``Write-VolumeCache`` time), then per day writes 1 MiB into the live D: overlay through QEMU and takes a
snapshot. Prints medians of: the snapshot (two qemu-img overlays + one QMP transaction + the variable store
copy), the overlay size per day, the first ``diff`` (flatten both frozen chains, read NTFS with dissect.ntfs)
and a cached ``diff``. Alternative compared in the same run: ``qemu-img convert`` of the whole data chain,
i.e. a full-copy "snapshot" instead of an overlay.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def line(name: str, values: list[float], unit: str = "s") -> str:
    return (f"{name:<36} median {statistics.median(values):8.3f}{unit}  min {min(values):8.3f}{unit}  "
            f"max {max(values):8.3f}{unit}  (n={len(values)})")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=5)
    ap.add_argument("--disk-gib", type=int, default=16)
    ap.add_argument("--size", default="standard")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="wb-winsnap-") as tmp:
        root = Path(tmp)
        os.environ["WORLDBUILDER_HOME"] = str(root / "home")
        from tests.windows_support import generate_windows_computer
        from worldbuilder.materialize.file_index import INITIAL
        from worldbuilder.runtime.provider_windows_qemu import WindowsQemuProvider
        from worldbuilder.runtime.qmp import QMP
        from worldbuilder.runtime.windows_snapshots import WindowsSnapshots

        comp = generate_windows_computer(root / "computer", size=args.size)
        base = root / "prepared.qcow2"
        subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", str(base), "1G"], check=True)
        provider = WindowsQemuProvider(workdir=root / "run", data_size_gib=args.disk_gib, base_qcow2=base, accel="tcg")
        ref = provider.prepare(comp)
        vm = provider.start(ref)
        snaps = WindowsSnapshots(provider, vm.name, Path(ref.ref), vm.user)
        take, grow, full = [], [], []
        try:
            for day in range(1, args.days + 1):
                live = snaps.layers.disk(snaps.layers.generations()[-1], "data")
                with QMP(vm.qmp, timeout=60) as q:  # 1 MiB of "work" at a day-dependent place past the MFT
                    q.hmp(f'qemu-io datadisk "write -P {day} {(512 + 8 * day) << 20} 1M"')
                t = time.perf_counter()
                snaps.snapshot(f"day-{day:02d}")
                take.append(time.perf_counter() - t)
                grow.append(live.stat().st_size / (1 << 20))
                t = time.perf_counter()
                subprocess.run(["qemu-img", "convert", "-U", "-O", "qcow2", str(live), str(root / "full.qcow2")],
                               check=True)
                full.append(time.perf_counter() - t)
                (root / "full.qcow2").unlink()
            first, cached = [], []
            for day in range(1, args.days + 1):
                t = time.perf_counter()
                snaps.diff(INITIAL if day == 1 else f"day-{day - 1:02d}", f"day-{day:02d}")
                first.append(time.perf_counter() - t)
                t = time.perf_counter()
                snaps.diff(INITIAL if day == 1 else f"day-{day - 1:02d}", f"day-{day:02d}")
                cached.append(time.perf_counter() - t)
        finally:
            provider.stop(vm.name, timeout=1)
    print(f"windows-qemu day snapshots, D: {args.disk_gib} GiB, {args.days} days, TCG, no guest OS")
    print(line("snapshot (overlay + QMP transaction)", take))
    print(line("day overlay size on the host", grow, "MiB"))
    print(line("alternative: full qcow2 copy", full))
    print(line("diff, first (NTFS read of 2 layers)", first))
    print(line("diff, cached listing", cached))


if __name__ == "__main__":
    main()
