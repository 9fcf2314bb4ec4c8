"""Snapshots of Docker computers: ``docker commit`` tags ``worldbuilder/computer-<id>:<label>``.

``diff(a, b)`` is exact: a short-lived, network-less container per snapshot lists every file under
the layout roots with its sha256 (cached per image id, which is immutable); files whose content
(or symlink target) differs are "changed" — a touch that only moves the mtime is not a change.
Every daemon call (commit, export → import, save, the listing container) goes through the Docker SDK.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path

from worldbuilder.errors import DockerError, SnapshotError, SnapshotNotFound
from worldbuilder.materialize import docker_sdk as sdk
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
        if not sdk.image_exists(tag):
            raise SnapshotNotFound(f"no snapshot {label!r} of computer {self.computer_id}")
        return tag

    def snapshot(self, label: str) -> SnapshotInfo:
        """Commit the running container (paused while committing, so the state is consistent)."""
        validate_label(label)
        if not self.container:
            raise SnapshotError("snapshot needs a running computer (boot or attach it first)")
        created = datetime.now(UTC).replace(microsecond=0)
        owner = [f"LABEL {LABEL}.{k}={json.dumps(v)}" for k, v in (self.owner or {}).items()]
        try:
            sdk.commit(self.container, self._tag(label), [f"LABEL {LABEL}.snapshot={label}",
                       f"LABEL {LABEL}.snapshot-created={created.isoformat()}", *owner], pause=True)
        except DockerError as exc:
            raise SnapshotError(f"snapshot {label!r} of {self.container} failed: {exc}") from exc
        return SnapshotInfo(label, self._tag(label), created)

    def flatten(self, label: str) -> str:
        """Replace snapshot ``label`` by a one-layer image of the same filesystem and config (``docker export``
        into ``docker import``), so a chain of daily snapshots never reaches overlay2's layer limit."""
        tag = self._require(label)
        info = (sdk.image_info(tag) or {}).get("Config") or {}
        changes: list[str] = []
        for key in ("Cmd", "Entrypoint"):
            if info.get(key):
                changes.append(f"{key.upper()} {json.dumps(info[key])}")
        changes += [f"ENV {e.split('=', 1)[0]}={json.dumps(e.split('=', 1)[1])}" for e in info.get("Env") or []]
        changes += [f"LABEL {k}={json.dumps(v)}" for k, v in (info.get("Labels") or {}).items()]
        changes.append(f"WORKDIR {info.get('WorkingDir') or '/'}")
        if info.get("User"):
            changes.append(f"USER {info['User']}")
        name = f"wb-flatten-{secrets.token_hex(4)}"
        a = sdk.api()
        with sdk.translated("create", subject=tag):
            a.create_container(tag, name=name, host_config=a.create_host_config(network_mode="none"))
        try:
            with sdk.translated("export", subject=tag):
                stream = a.export(name, chunk_size=sdk.CHUNK)  # streamed straight into the import
            sdk.import_image(stream, tag, changes)
        except DockerError as exc:
            raise SnapshotError(f"flattening {tag} failed: {exc}") from exc
        finally:
            sdk.remove_container(name)
        return tag

    def layers(self, label: str) -> int:
        return len((sdk.image_info(self._require(label)) or {}).get("RootFS", {}).get("Layers") or [])

    def list(self) -> list[SnapshotInfo]:
        repo = f"{REPO_PREFIX}{self.computer_id}"
        with sdk.translated("images"):
            found = sdk.api().images(name=repo)
        labels_of = {t.rpartition(":")[2]: img.get("Labels") or {} for img in found for t in img.get("RepoTags") or []
                     if t.rpartition(":")[0] == repo}
        out = []
        for tag in sorted(set(labels_of) - {INITIAL, "<none>"}):
            labels = labels_of[tag]
            when = labels.get(f"{LABEL}.snapshot-created")
            out.append(SnapshotInfo(tag, f"{repo}:{tag}", datetime.fromisoformat(when) if when else
                                    datetime.fromtimestamp(0, UTC)))
        return sorted(out, key=lambda s: (s.created, s.label))

    def restore(self, label: str, name: str | None = None) -> Computer:
        """Boot a NEW container from the snapshot and return its handle."""
        from worldbuilder.runtime.docker_backend import DockerBackend

        return DockerBackend().boot(self._require(label), name=name)

    def remove(self, label: str) -> None:
        tag = self._require(validate_label(label))
        with sdk.translated("rmi", subject=tag):
            sdk.api().remove_image(tag)

    def files(self, label: str) -> dict[str, str]:
        """{path relative to the layout root: sha256 or 'link:<target>'} of a snapshot."""
        tag = self._require(label)
        info = sdk.image_info(tag) or {}
        image_id = info.get("Id", tag).split(":")[-1]
        cache = cache_home() / "manifests" / f"{image_id}.json"
        if cache.exists():
            return json.loads(cache.read_text())
        mounts = ((info.get("Config") or {}).get("Labels") or {}).get(f"{LABEL}.mounts", "{}")
        code, out, err = sdk.run_capture(tag, ["-c", LISTER, mounts], entrypoint=["python3"], user="0")
        if code != 0:
            detail = err.decode(errors="replace").strip().splitlines()[-1:] or ["?"]
            raise SnapshotError(f"listing the files of {tag} failed: {detail[0]}")
        listing = json.loads(out)
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
        """``docker save`` the snapshot to an archive, streamed chunk by chunk (temp file + rename)."""
        tag = self._require(label)
        path = Path(path)
        if path.is_dir():
            path = path / f"computer-{self.computer_id}-{label}.tar"
        tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(3)}")
        try:
            with open(tmp, "wb") as fh:
                sdk.save(tag, fh)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path
