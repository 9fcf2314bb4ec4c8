"""Hostile-input benchmark on one Docker computer: host memory and time of bounded transfers, and what day
snapshots store when the computer runs on ("continuous") versus restarts overnight from each snapshot ("lean").

    python benchmarks/hostile_bench.py IMAGE [--write-mb 200] [--days 5]

IMAGE is a computer image (tag or computer id; `worldbuilder image build DIR` first). Prints one line per figure:
peak RSS growth of the harness process and seconds for (a) the old whole-file read and (b) the streamed, capped
fetch of a 100 MB file, the refusal of a 1.5 GB sparse file and of a /dev/zero link; then, for both snapshot
strategies, the bytes the day snapshots add on the host and the seconds per day boundary.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from worldbuilder.errors import TransferRefused
from worldbuilder.runtime.docker_backend import DockerBackend
from worldbuilder.runtime.docker_quota import usage
from worldbuilder.runtime.docker_snapshots import DockerSnapshots

MB = 1 << 20


def _rss_reset() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _hwm() -> float:
    line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM:"))
    return int(line.split()[1]) / 1024


def _measure(label: str, fn) -> None:
    _rss_reset()
    base = _hwm()
    t0 = time.monotonic()
    try:
        out = fn()
    except TransferRefused as exc:
        out = f"refused ({exc})"
    print(f"{label:42s} +{_hwm() - base:7.1f} MB peak RSS  {time.monotonic() - t0:6.2f} s  {str(out)[:70]}")


def transfers(backend: DockerBackend, image: str) -> None:
    c = backend.boot(image)
    try:
        assert c.exec("head -c 104857600 /dev/urandom > cap.bin && truncate -s 1500M sparse.bin "
                      "&& ln -s /dev/zero zero.docx", timeout=120).ok
        tmp = Path(tempfile.mkdtemp())

        def whole_read():  # the previous SSHComputer.read: the whole file in memory
            with c._sftp_call(lambda s: s.open(c.resolve("cap.bin"), "rb")) as fh:
                fh.prefetch()
                return len(fh.read())

        _measure("100 MB file, whole-file read (before)", whole_read)
        _measure("100 MB file, streamed fetch (now)", lambda: c.fetch("cap.bin", tmp / "a", 100 * MB))
        _measure("1.5 GB sparse file, fetch (cap 100 MB)", lambda: c.fetch("sparse.bin", tmp / "b", 100 * MB))
        _measure("/dev/zero link, fetch", lambda: c.fetch("zero.docx", tmp / "c", 100 * MB))
    finally:
        c.close()
        backend.stop(c.name)


def _stored(refs: list[str]) -> int:
    uppers = {subprocess.run(["docker", "image", "inspect", "-f", "{{.GraphDriver.Data.UpperDir}}", r],
                             capture_output=True, text=True).stdout.strip() for r in refs}
    return sum(usage(u) for u in uppers if u)


def snapshots(backend: DockerBackend, image: str, days: int, write_mb: int, lean: bool) -> None:
    c = backend.boot(image)
    snaps = DockerSnapshots(c.computer_id, container=c.name)
    tag = f"bench-{'lean' if lean else 'cont'}-{int(time.time()) % 100000}"
    refs, secs = [], []
    try:
        for day in range(1, days + 1):
            size = write_mb if day == 1 else 1
            assert c.exec(f"head -c {size * MB} /dev/urandom > day{day}.bin", timeout=300).ok
            t0 = time.monotonic()
            info = snaps.snapshot(f"{tag}-day-{day:02d}")
            refs.append(info.ref)
            if lean and day < days:  # what the harness does overnight
                name, ip = c.name, c.endpoint.host
                c.close()
                backend.stop(name)
                c = backend.boot(info.ref, name=name, ip=ip)
                snaps = DockerSnapshots(c.computer_id, container=c.name)
            secs.append(time.monotonic() - t0)
        stored = _stored(refs)
        print(f"{'lean' if lean else 'continuous':10s} snapshots: {days} days, {write_mb} MB on day 1 -> "
              f"{stored / MB:7.1f} MB stored, {sum(secs) / len(secs):5.2f} s per boundary")
    finally:
        c.close()
        backend.stop(c.name)
        for r in refs:
            subprocess.run(["docker", "rmi", r], capture_output=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("image")
    ap.add_argument("--write-mb", type=int, default=200)
    ap.add_argument("--days", type=int, default=5)
    args = ap.parse_args()
    backend = DockerBackend()
    transfers(backend, args.image)
    for lean in (False, True):
        snapshots(backend, args.image, args.days, args.write_mb, lean)


if __name__ == "__main__":
    main()
