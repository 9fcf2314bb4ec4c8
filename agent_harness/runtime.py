"""Where a simulation's computer runs: Docker (real isolation) or a local directory (unit tests only)."""

from __future__ import annotations

import os
import shutil
import time
from abc import ABC, abstractmethod
from pathlib import Path

from worldbuilder.runtime.computer import Computer, SnapshotInfo


class Runtime(ABC):
    kind: str

    @abstractmethod
    def boot(self, ref: str) -> Computer:
        """Start a computer from an image ref or a recorded snapshot ref."""

    @abstractmethod
    def snapshot(self, computer: Computer, label: str) -> SnapshotInfo:
        """Snapshot ``computer`` under a run-unique ``label``; the returned ref is bootable."""

    @abstractmethod
    def stop(self, computer: Computer) -> None: ...

    def continue_from(self, computer: Computer, ref: str) -> Computer:
        """Carry ``computer`` into the next day, whose state was just snapshotted as ``ref``."""
        return computer

    def live(self, computer: Computer) -> dict:
        """What an external program (or a later cleanup) needs to find the running computer."""
        ep = getattr(computer, "endpoint", None)
        info = {"runtime": self.kind, "name": computer.name, "home": computer.home, "user": computer.user}
        if ep is not None:
            info |= {"host": ep.host, "port": ep.port, "key_path": str(ep.key_path), "ssh": ep.command()}
        return info

    def cleanup(self, live: dict) -> None:
        """Stop a computer left running by a killed process (from its ``live.json``)."""
        return None


class DockerRuntime(Runtime):
    """Computers and snapshot images carry ``org.worldbuilder.run`` / ``run-dir`` labels naming this run and its
    directory: cleanup and ``runs rm`` act only on what those labels (read from Docker itself) say is ours."""

    kind = "docker"

    def __init__(self, run_id: str, run_dir: Path | None = None, limits=None) -> None:
        from worldbuilder.runtime.docker_backend import DockerBackend, Limits

        self.backend, self.run_id, self.n = DockerBackend(), run_id, 0
        self.limits = limits or Limits()
        self.owner = {"run": run_id, "run-dir": str(Path(run_dir).resolve())} if run_dir is not None else None

    def boot(self, ref: str, name: str | None = None, ip: str | None = None) -> Computer:
        self.n += 1
        c = self.backend.boot(ref, name=name or f"wb-run-{self.run_id}-{self.n}-{int(time.time()) % 100000}",
                              owner=self.owner, limits=self.limits, ip=ip)
        if self.limits.disk_bytes:
            c.watch_disk(self.limits.disk_bytes, baseline=_chain_bytes(ref))
        return c

    def snapshot(self, computer: Computer, label: str) -> SnapshotInfo:
        """Commit the day; a chain of daily layers near overlay2's limit is flattened into one layer."""
        from worldbuilder.runtime.docker_snapshots import DockerSnapshots

        snaps = DockerSnapshots(computer.computer_id, container=computer.name, owner=self.owner)  # type: ignore[attr-defined]
        info = snaps.snapshot(label)
        if snaps.layers(label) >= max_layers():
            snaps.flatten(label)
        return info

    def continue_from(self, computer: Computer, ref: str) -> Computer:
        """Restart the computer overnight from the day's snapshot (same name, same address, same host key):
        its writable layer starts empty, so each day's snapshot stores only that day's changes."""
        from worldbuilder.errors import WorldbuilderError

        name, ip = computer.name, computer.endpoint.host  # type: ignore[attr-defined]
        self.stop(computer)
        for _ in range(IP_RETRIES):  # the old endpoint may still hold the address for a moment
            try:
                return self.boot(ref, name=name, ip=ip)
            except WorldbuilderError as exc:
                if "address already in use" not in str(exc).lower():
                    raise
                time.sleep(0.5)
        return self.boot(ref, name=name)  # taken meanwhile: a new address (live.json says which)

    def stop(self, computer: Computer) -> None:
        computer.close()
        try:
            self.backend.stop(computer.name)
        except Exception:  # already gone
            pass

    def cleanup(self, live: dict) -> None:
        """Stop the containers Docker's labels say this run (id AND directory) owns; ``live`` is not trusted."""
        from worldbuilder.runtime.docker_backend import owned_containers

        if self.owner is None:
            return
        for name in owned_containers(self.owner):
            try:
                self.backend.stop(name)
            except Exception:  # already gone
                pass


IP_RETRIES = 10


def max_layers() -> int:
    """Layers a snapshot chain may reach before it is flattened (overlay2 refuses more than ~125)."""
    return int(os.environ.get("WORLDBUILDER_MAX_LAYERS", "100"))


def _chain_bytes(ref: str) -> int:
    """Bytes the snapshot ``ref`` holds over its computer's built image (counts toward the disk quota)."""
    from worldbuilder.materialize import docker_cli
    from worldbuilder.materialize.docker_image import LABEL, image_tag

    def size(r: str) -> int | None:
        proc = docker_cli.docker("image", "inspect", "-f", "{{.Size}}", r, check=False, timeout=30)
        return int(proc.stdout) if proc.returncode == 0 else None

    cid = docker_cli.image_labels(ref).get(f"{LABEL}.computer-id", "")
    own, base = size(ref), size(image_tag(cid)) if cid else None
    return max(0, own - base) if own is not None and base is not None else 0


class LocalRuntime(Runtime):
    """Directory computers under ``workdir`` (NO isolation; see worldbuilder.runtime.local_backend)."""

    kind = "local"

    def __init__(self, workdir: Path, user: str, home: str) -> None:
        self.workdir, self.user, self.home, self.n = Path(workdir), user, home, 0
        (self.workdir / "snapshots").mkdir(parents=True, exist_ok=True)

    def boot(self, ref: str) -> Computer:
        from worldbuilder.runtime.local_backend import LocalComputer, copy_tree

        self.n += 1
        root = self.workdir / "computer"
        shutil.rmtree(root, ignore_errors=True)
        copy_tree(ref, root)
        return LocalComputer(root, self.user, self.home, name=f"local-{self.n}")

    def snapshot(self, computer: Computer, label: str) -> SnapshotInfo:
        from worldbuilder.runtime.local_backend import LocalSnapshots

        return LocalSnapshots(computer, self.workdir / "snapshots").snapshot(label)  # type: ignore[arg-type]

    def stop(self, computer: Computer) -> None:
        computer.close()
