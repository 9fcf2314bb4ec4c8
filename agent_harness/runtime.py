"""Where a simulation's computer runs: Docker (real isolation) or a local directory (unit tests only)."""

from __future__ import annotations

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

    def __init__(self, run_id: str, run_dir: Path | None = None) -> None:
        from worldbuilder.runtime.docker_backend import DockerBackend

        self.backend, self.run_id, self.n = DockerBackend(), run_id, 0
        self.owner = {"run": run_id, "run-dir": str(Path(run_dir).resolve())} if run_dir is not None else None

    def boot(self, ref: str) -> Computer:
        self.n += 1
        return self.backend.boot(ref, name=f"wb-run-{self.run_id}-{self.n}-{int(time.time()) % 100000}",
                                 owner=self.owner)

    def snapshot(self, computer: Computer, label: str) -> SnapshotInfo:
        from worldbuilder.runtime.docker_snapshots import DockerSnapshots

        snaps = DockerSnapshots(computer.computer_id, container=computer.name, owner=self.owner)  # type: ignore[attr-defined]
        return snaps.snapshot(label)

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
