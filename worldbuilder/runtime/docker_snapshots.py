"""Snapshots of Docker computers: ``docker commit`` tags ``worldbuilder/computer-<id>:<label>``.

``diff(a, b)`` is exact: a short-lived, network-less container per snapshot lists every file under
the layout roots with its sha256 (cached per image id, which is immutable); files whose content
(or symlink target) differs are "changed" — a touch that only moves the mtime is not a change.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from datetime import UTC, datetime
from pathlib import Path

from worldbuilder.errors import SnapshotError, SnapshotNotFound
from worldbuilder.materialize import docker_cli
from worldbuilder.materialize.docker_image import LABEL, REPO_PREFIX, image_tag
from worldbuilder.materialize.file_index import INITIAL, LISTER
from worldbuilder.materialize.paths import cache_home
from worldbuilder.runtime.computer import Computer, FileDiff, SnapshotInfo, Snapshots, validate_label

__all__ = ["INITIAL", "LISTER", "DockerSnapshots", "SnapshotError", "validate_label"]


class DockerSnapshots(Snapshots):
    """Snapshots of one computer (by id); ``snapshot`` needs its running container."""

    def __init__(self, computer_id: str, container: str | None = None,
                 owner: dict[str, str] | None = None) -> None:
        self.computer_id, self.container, self.owner = computer_id, container, owner

    def _tag(self, label: str) -> str:
        return image_tag(self.computer_id, label)

    def _require(self, label: str) -> str:
        if label != INITIAL:
            validate_label(label)
        tag = self._tag(label)
        if not docker_cli.image_exists(tag):
            raise SnapshotNotFound(f"no snapshot {label!r} of computer {self.computer_id}")
        return tag

    def snapshot(self, label: str) -> SnapshotInfo:
        """Commit the running container (paused while committing, so the state is consistent)."""
        validate_label(label)
        if not self.container:
            raise SnapshotError("snapshot needs a running computer (boot or attach it first)")
        created = datetime.now(UTC).replace(microsecond=0)
        owner = [a for k, v in (self.owner or {}).items() for a in ("--change", f"LABEL {LABEL}.{k}={json.dumps(v)}")]
        docker_cli.docker("commit", "--pause=true", "--change", f"LABEL {LABEL}.snapshot={label}",
                          "--change", f"LABEL {LABEL}.snapshot-created={created.isoformat()}", *owner,
                          self.container, self._tag(label), timeout=600)
        return SnapshotInfo(label, self._tag(label), created)

    def flatten(self, label: str) -> str:
        """Replace snapshot ``label`` by a one-layer image of the same filesystem and config (``docker export``
        into ``docker import``), so a chain of daily snapshots never reaches overlay2's layer limit."""
        tag = self._require(label)
        info = json.loads(docker_cli.out("image", "inspect", tag))[0]["Config"]
        changes: list[str] = []
        for key in ("Cmd", "Entrypoint"):
            if info.get(key):
                changes += ["--change", f"{key.upper()} {json.dumps(info[key])}"]
        changes += [a for e in info.get("Env") or [] for a in ("--change", f"ENV {e.split('=', 1)[0]}="
                                                                          f"{json.dumps(e.split('=', 1)[1])}")]
        changes += [a for k, v in (info.get("Labels") or {}).items() for a in ("--change", f"LABEL {k}={json.dumps(v)}")]
        changes += ["--change", f"WORKDIR {info.get('WorkingDir') or '/'}"]
        if info.get("User"):
            changes += ["--change", f"USER {info['User']}"]
        name = f"wb-flatten-{secrets.token_hex(4)}"
        docker_cli.docker("create", "--name", name, "--network", "none", tag, timeout=120)
        try:
            exe = docker_cli.docker_exe()
            with subprocess.Popen([exe, "export", name], stdout=subprocess.PIPE) as export:
                docker_cli.docker("import", *changes, "-", tag, stdin=export.stdout, timeout=1800)
                if export.wait(timeout=60) != 0:
                    raise SnapshotError(f"docker export of {tag} failed")
        finally:
            docker_cli.docker("rm", "-f", name, check=False, timeout=60)
        return tag

    def layers(self, label: str) -> int:
        return int(docker_cli.out("image", "inspect", "-f", "{{len .RootFS.Layers}}", self._require(label)))

    def list(self) -> list[SnapshotInfo]:
        repo = f"{REPO_PREFIX}{self.computer_id}"
        tags = docker_cli.out("images", repo, "--format", "{{.Tag}}").split()
        out = []
        for tag in sorted(set(tags) - {INITIAL, "<none>"}):
            labels = docker_cli.image_labels(f"{repo}:{tag}")
            when = labels.get(f"{LABEL}.snapshot-created")
            out.append(SnapshotInfo(tag, f"{repo}:{tag}", datetime.fromisoformat(when) if when else
                                    datetime.fromtimestamp(0, UTC)))
        return sorted(out, key=lambda s: (s.created, s.label))

    def restore(self, label: str, name: str | None = None) -> Computer:
        """Boot a NEW container from the snapshot and return its handle."""
        from worldbuilder.runtime.docker_backend import DockerBackend

        return DockerBackend().boot(self._require(label), name=name)

    def remove(self, label: str) -> None:
        docker_cli.docker("rmi", self._require(validate_label(label)), timeout=120)

    def files(self, label: str) -> dict[str, str]:
        """{path relative to the layout root: sha256 or 'link:<target>'} of a snapshot."""
        tag = self._require(label)
        image_id = docker_cli.out("image", "inspect", "-f", "{{.Id}}", tag).split(":")[-1]
        cache = cache_home() / "manifests" / f"{image_id}.json"
        if cache.exists():
            return json.loads(cache.read_text())
        mounts = docker_cli.image_labels(tag).get(f"{LABEL}.mounts", "{}")
        proc = docker_cli.docker("run", "--rm", "--network", "none", "--user", "0", "--entrypoint", "python3",
                                 tag, "-c", LISTER, mounts, timeout=600)
        listing = json.loads(proc.stdout)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{secrets.token_hex(3)}")
        tmp.write_text(json.dumps(listing))
        os.replace(tmp, cache)
        return listing

    def diff(self, a: str, b: str) -> FileDiff:
        fa, fb = self.files(a), self.files(b)
        return FileDiff(added=sorted(set(fb) - set(fa)), deleted=sorted(set(fa) - set(fb)),
                        changed=sorted(p for p in set(fa) & set(fb) if fa[p] != fb[p]))

    def export(self, label: str, path: str | Path) -> Path:
        """``docker save`` the snapshot to an archive (temp file + rename)."""
        tag = self._require(label)
        path = Path(path)
        if path.is_dir():
            path = path / f"computer-{self.computer_id}-{label}.tar"
        tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(3)}")
        try:
            docker_cli.docker("save", "-o", str(tmp), tag, timeout=1800)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path
