"""The ``local`` provider: a computer that is a folder on the host (NO isolation; harness unit tests only).

``prepare`` stages the computer's tree under ``workdir/image`` as the computer's ``/``; ``boot`` copies an
image or snapshot directory to ``workdir/computer``; snapshots are copies under ``workdir/snapshots``.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

from worldbuilder.computer_dir import load_computer
from worldbuilder.errors import ComputerNotRunning, ImageNotFound, WorldbuilderError
from worldbuilder.materialize.staging import roots
from worldbuilder.runtime.computer import Computer, Snapshots
from worldbuilder.runtime.limits import Limits
from worldbuilder.runtime.local_backend import LocalComputer, LocalSnapshots, copy_tree
from worldbuilder.runtime.provider import ComputerProvider, ImageRef, RunningComputer
from worldbuilder.spec import ComputerSpec

USER_FILE = ".wb-user.json"  # {user, home, mounts} at the root of a staged image (a directory has no labels)


def stage_tree(spec: ComputerSpec, tree: Path, root: Path) -> Path:
    """Lay a computer's tree out under ``root`` as the computer's ``/``."""
    r = roots(spec)
    (root / r.home.lstrip("/")).mkdir(parents=True, exist_ok=True)
    for f in sorted(tree.rglob("*")):
        if f.is_file():
            dest = root / r.to_container(f.relative_to(tree).as_posix()).lstrip("/")
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)
    return root


class LocalProvider(ComputerProvider):
    name = "local"

    def __init__(self, limits: Limits | None = None, owner: dict[str, str] | None = None,
                 workdir: str | Path | None = None) -> None:
        super().__init__(limits, owner, workdir)
        self.workdir = self.workdir or Path(tempfile.mkdtemp(prefix="wb-local-"))
        self.running: dict[str, LocalComputer] = {}
        self.n = 0

    def prepare(self, computer_dir: str | Path, variant: str = "default") -> ImageRef:
        if variant != "default":
            raise WorldbuilderError(f"the {self.name} backend has no variant {variant!r} (only 'default')")
        spec, tree = load_computer(Path(computer_dir))
        if tree is None:
            raise ImageNotFound(f"{computer_dir} has no rendered tree/")
        image = self.workdir / "image"
        shutil.rmtree(image, ignore_errors=True)
        stage_tree(spec, tree, image)
        r = roots(spec)
        meta = {"user": spec.profile.username, "home": r.home, "mounts": {k or ".": v for k, v in r.mounts.items()}}
        (image / USER_FILE).write_text(json.dumps(meta) + "\n")
        return ImageRef(self.name, str(image), spec.id)

    def boot(self, ref: ImageRef | str, name: str | None = None, limits: Limits | None = None) -> LocalComputer:
        src = Path(ref.ref if isinstance(ref, ImageRef) else ref)
        if not (src / USER_FILE).is_file():
            raise ImageNotFound(f"no local image or snapshot at {src}")
        self.n += 1
        name = name or f"local-{self.n}"
        if name in self.running and self.running[name].alive():
            raise WorldbuilderError(f"a local computer named {name!r} is already running")
        meta = json.loads((src / USER_FILE).read_text())
        root = self.workdir / "computer"
        shutil.rmtree(root, ignore_errors=True)
        copy_tree(src, root)
        self.running[name] = LocalComputer(root, meta["user"], meta["home"], name=name)
        return self.running[name]

    def attach(self, name: str) -> LocalComputer:
        c = self.running.get(name)
        if c is None or not c.alive():
            raise ComputerNotRunning(f"no local computer named {name!r}")
        return LocalComputer(c.root, c.user, c.home, c.name)

    def stop(self, name: str) -> None:
        c = self.running.pop(name, None)
        if c is None:
            raise ComputerNotRunning(f"no local computer named {name!r}")
        c.close()

    def ls(self) -> list[RunningComputer]:
        return [RunningComputer(n, self.name, str(c.root)) for n, c in sorted(self.running.items()) if c.alive()]

    def snapshots(self, computer: Computer) -> Snapshots:
        if not isinstance(computer, LocalComputer):
            raise WorldbuilderError(f"{computer.name} is not a local computer")
        meta = json.loads((computer.root / USER_FILE).read_text())
        return LocalSnapshots(computer, self.workdir / "snapshots", meta["mounts"])
