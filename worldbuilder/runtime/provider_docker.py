"""The ``docker`` provider: images built by materialize.docker_image, containers by DockerBackend.

Computers and snapshot images carry ``org.worldbuilder.run`` / ``run-dir`` labels naming the owner (a run and
its directory): :meth:`DockerProvider.reap` acts only on what those labels (read from Docker) say is ours.
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from worldbuilder.errors import WorldbuilderError
from worldbuilder.runtime.computer import Computer, SnapshotInfo, Snapshots
from worldbuilder.runtime.docker_backend import DockerBackend, DockerComputer, owned_containers
from worldbuilder.runtime.docker_snapshots import DockerSnapshots
from worldbuilder.runtime.limits import Limits
from worldbuilder.runtime.provider import ComputerProvider, ImageRef, RunningComputer

IP_RETRIES = 10


def max_layers() -> int:
    """Layers a snapshot chain may reach before it is flattened (overlay2 refuses more than ~125)."""
    return int(os.environ.get("WORLDBUILDER_MAX_LAYERS", "100"))


class OwnedSnapshots(DockerSnapshots):
    """Docker snapshots whose chain is flattened near overlay2's layer limit and whose restore keeps the owner."""

    def __init__(self, provider: DockerProvider, computer: DockerComputer) -> None:
        super().__init__(computer.computer_id, container=computer.name, owner=provider.owner)
        self.provider = provider

    def snapshot(self, label: str) -> SnapshotInfo:
        info = super().snapshot(label)
        if self.layers(label) >= max_layers():
            self.flatten(label)
        return info

    def restore(self, label: str, name: str | None = None) -> Computer:
        return self.provider.boot(self._require(label), name=name)


class DockerProvider(ComputerProvider):
    name = "docker"

    def __init__(self, limits: Limits | None = None, owner: dict[str, str] | None = None,
                 workdir: str | Path | None = None) -> None:
        super().__init__(limits, owner, workdir)
        self.backend = DockerBackend(self.limits)
        self.run_id = (owner or {}).get("run", "")

    def prepare(self, computer_dir: str | Path, variant: str = "default") -> ImageRef:
        from worldbuilder.materialize.docker_image import build_image

        built = build_image(Path(computer_dir), variant="base" if variant == "default" else variant)
        return ImageRef(self.name, built.tag, built.computer_id)

    def boot(self, ref: ImageRef | str, name: str | None = None, limits: Limits | None = None,
             ip: str | None = None) -> DockerComputer:
        tag = ref.ref if isinstance(ref, ImageRef) else ref
        limits = limits or self.limits
        prefix = f"wb-run-{self.run_id}" if self.run_id else "wb"
        name = name or f"{prefix}-{int(time.time()) % 100000}-{secrets.token_hex(2)}"
        c = self.backend.boot(tag, name=name, owner=self.owner, limits=limits, ip=ip)
        if limits.disk_bytes:
            c.watch_disk(limits.disk_bytes, baseline=chain_bytes(tag))
        return c

    def attach(self, name: str) -> DockerComputer:
        return self.backend.attach(name)

    def stop(self, name: str) -> None:
        self.backend.stop(name)

    def ls(self) -> list[RunningComputer]:
        return [RunningComputer(r["name"], self.name, r.get("image", ""), r.get("status", ""),
                                {"ip": r.get("ip", ""), "computer_id": r.get("computer_id", "")})
                for r in self.backend.list_running()]

    def snapshots(self, computer: Computer) -> Snapshots:
        return OwnedSnapshots(self, _docker(computer))

    def carry_over(self, computer: Computer, snapshot: SnapshotInfo) -> Computer:
        """Restart the computer from the snapshot (same name, address and host key): its writable layer starts
        empty, so each day's snapshot stores only that day's changes."""
        name, ip = computer.name, _docker(computer).endpoint.host
        self.release(computer)
        for _ in range(IP_RETRIES):  # the old endpoint may still hold the address for a moment
            try:
                return self.boot(snapshot.ref, name=name, ip=ip)
            except WorldbuilderError as exc:
                if "address already in use" not in str(exc).lower():
                    raise
                time.sleep(0.5)
        return self.boot(snapshot.ref, name=name)  # taken meanwhile: a new address

    def reap(self) -> None:
        if self.owner is None:
            return
        for name in owned_containers(self.owner):
            try:
                self.backend.stop(name)
            except WorldbuilderError:  # already gone
                pass


def _docker(computer: Computer) -> DockerComputer:
    if not isinstance(computer, DockerComputer):
        raise WorldbuilderError(f"{computer.name} is not a Docker computer")
    return computer


def chain_bytes(ref: str) -> int:
    """Bytes the snapshot ``ref`` holds over its computer's built image (counts toward the disk quota)."""
    from worldbuilder.materialize import docker_sdk as sdk
    from worldbuilder.materialize.docker_image import LABEL, image_tag

    def size(r: str) -> int | None:
        info = sdk.image_info(r)
        return int(info.get("Size", 0)) if info is not None else None

    cid = sdk.image_labels(ref).get(f"{LABEL}.computer-id", "")
    own, base = size(ref), size(image_tag(cid)) if cid else None
    return max(0, own - base) if own is not None and base is not None else 0
