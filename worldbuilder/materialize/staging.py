"""Staging: turn a computer directory into the one tar layer a per-computer image adds.

The tar holds the home (or the Windows drives) with the spec's mtimes and the user's uid/gid, plus
``/tmp/wb-provision/{computer.json,provision.py}`` for the provisioner. Drive mapping for Windows
layouts: tree folder ``C`` → ``/mnt/c``, ``D`` → ``/mnt/d`` (any letter → ``/mnt/<letter>``); the
profile folder ``C/Users/<Name>`` is the user's home, with ``/home/<username>`` a symlink to it.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from worldbuilder.errors import WorldbuilderError
from worldbuilder.materialize.paths import PROVISIONERS_DIR
from worldbuilder.spec import ComputerSpec

USERNAME_RE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
RESERVED_USERS = frozenset(
    "root daemon bin sys sync games man lp mail news uucp proxy www-data backup list irc gnats nobody "
    "_apt systemd-network systemd-resolve messagebus sshd admin sudo staff users".split())
PROVISION_DIR = "tmp/wb-provision"


class StagingError(WorldbuilderError):
    """A computer cannot be materialized as given (bad username, missing tree, ...)."""


@dataclass(frozen=True)
class Roots:
    """Where the spec's layout root lives inside the computer."""

    home: str  # the user's home (absolute)
    mounts: dict[str, str]  # tree top folder ("" on linux, "C", "D" on windows) -> absolute dir
    drives: dict[str, str]  # "C:" -> "/mnt/c" (windows only)

    def to_container(self, rel: str) -> str:
        """Absolute path inside the computer of a spec path (relative to the layout root)."""
        if "" in self.mounts:
            return f"{self.mounts['']}/{rel}".rstrip("/")
        top, _, rest = rel.partition("/")
        if top not in self.mounts:
            raise StagingError(f"path {rel!r} is not on a mapped drive ({', '.join(self.mounts)})")
        return f"{self.mounts[top]}/{rest}".rstrip("/")


def load_computer_for_build(computer_dir: str | Path,
                           error: type[WorldbuilderError]) -> tuple[ComputerSpec, Path]:
    """Load a rendered computer directory and validate its spec for an image/disk; ``error`` on failure."""
    from worldbuilder.computer_dir import load_computer

    computer_dir = Path(computer_dir)
    if not computer_dir.is_dir():
        raise error(f"computer directory not found: {computer_dir}")
    spec, tree = load_computer(computer_dir)
    validate_spec(spec)
    if tree is None:
        raise error(f"{computer_dir} has no rendered tree/ (render the spec first)")
    return spec, tree


def validate_spec(spec: ComputerSpec) -> None:
    """Reject specs that cannot become a Linux account, before anything is built."""
    p = spec.profile
    if not USERNAME_RE.match(p.username) or p.username in RESERVED_USERS:
        raise StagingError(f"username {p.username!r} is not a valid Linux user name "
                           "(lowercase letters, digits, '_' or '-', at most 32, not a system name)")
    if not 1000 <= p.uid <= 60000:
        raise StagingError(f"uid {p.uid} is outside 1000..60000")
    if not p.shell.startswith("/") or any(c in p.shell for c in " :\n"):
        raise StagingError(f"shell {p.shell!r} is not an absolute path")
    if any(c in p.full_name for c in ":\n"):
        raise StagingError("full name must not contain ':' or newlines")
    if not re.match(r"^[A-Za-z0-9_-]{1,64}$", spec.id):
        raise StagingError(f"computer id {spec.id!r} must be 1-64 letters, digits, '_' or '-'")


def roots(spec: ComputerSpec) -> Roots:
    lay = spec.layout
    if lay.kind == "linux":
        home = f"/home/{spec.profile.username}"
        return Roots(home=home, mounts={"": home}, drives={})
    drives = lay.drives or {"C:": "C"}
    mounts, mapping = {}, {}
    for letter, folder in sorted(drives.items()):
        d = letter.rstrip(":").lower()
        if not re.match(r"^[a-z]$", d) or not re.match(r"^[A-Za-z0-9_ -]+$", folder):
            raise StagingError(f"bad drive mapping {letter!r} -> {folder!r}")
        mounts[folder] = f"/mnt/{d}"
        mapping[f"{d.upper()}:"] = f"/mnt/{d}"
    profile = lay.profile_root or f"C/Users/{spec.profile.username}"
    r = Roots(home="", mounts=mounts, drives=mapping)
    return Roots(home=r.to_container(profile), mounts=mounts, drives=mapping)


def hostname(spec: ComputerSpec) -> str:
    if spec.layout.kind == "windows":
        return f"DESKTOP-{spec.id[:7].upper()}"
    return f"{spec.profile.username}-workstation"[:63]


def provision_config(spec: ComputerSpec, public_key: str, sudo: bool = False) -> dict:
    """The provisioner's input (see provisioners/provision.py)."""
    p, r = spec.profile, roots(spec)
    return {
        "computer_id": spec.id, "persona": spec.persona, "hostname": hostname(spec),
        "user": {"name": p.username, "uid": p.uid, "gid": p.uid, "gecos": p.full_name, "shell": p.shell,
                 "groups": [], "sudo": sudo, "home": r.home,
                 "home_link": f"/home/{p.username}" if r.home != f"/home/{p.username}" else ""},
        "ssh_public_key": public_key, "timezone": p.timezone, "locale": p.locale,
        "layout": spec.layout.kind, "drives": r.drives,
        "mounts": {k or ".": v for k, v in r.mounts.items()},
    }


def _mtimes(spec: ComputerSpec) -> dict[str, float]:
    out = {f.path: f.modified.timestamp() for f in spec.files}
    out.update({d.path.rstrip("/"): d.created.timestamp() for d in spec.dirs})
    return out


def _info(name: str, kind: bytes, mode: int, mtime: float, uid: int, size: int = 0) -> tarfile.TarInfo:
    ti = tarfile.TarInfo(name)
    ti.type, ti.mode, ti.uid, ti.gid, ti.size = kind, mode, uid, uid, size
    ti.mtime = int(mtime) if float(mtime).is_integer() else mtime
    return ti


def write_layer(spec: ComputerSpec, tree: Path, out: Path, config: dict) -> int:
    """Write the staging tar to ``out``; returns the number of regular files from the tree."""
    count = 0
    with tarfile.open(out, "w", format=tarfile.PAX_FORMAT) as tar:
        for info, path in iter_home(spec, tree):
            if path is None:
                tar.addfile(info)
                continue
            with open(path, "rb") as fh:
                tar.addfile(info, fh)
            count += 1
        for fname, data in (("computer.json", json.dumps(config, indent=1).encode()),
                            ("provision.py", (PROVISIONERS_DIR / "provision.py").read_bytes())):
            tar.addfile(_info(f"{PROVISION_DIR}/{fname}", tarfile.REGTYPE, 0o600, 0, 0, len(data)), io.BytesIO(data))
    return count


def iter_home(spec: ComputerSpec, tree: Path) -> Iterator[tuple[tarfile.TarInfo, Path | None]]:
    """The home's tar members (with the spec's mtimes and the user's uid), each with its source file."""
    r, uid, times = roots(spec), spec.profile.uid, _mtimes(spec)
    for top, mount in sorted(r.mounts.items()):
        src = tree / top if top else tree
        yield from _parents(mount, r.home)
        if not src.is_dir():
            continue
        for path in sorted([src, *src.rglob("*")]):
            rel = path.relative_to(tree).as_posix() if path != tree else ""
            name = r.to_container(rel).lstrip("/") if rel else mount.lstrip("/")
            st = path.lstat()
            mtime = times.get(rel, st.st_mtime)
            owner = 0 if _system_owned(name, r) else uid
            if path.is_symlink():
                continue  # trees hold regular files and dirs only
            if path.is_dir():
                yield _info(name, tarfile.DIRTYPE, 0o750 if name == r.home.lstrip("/") else 0o755,
                            mtime, owner), None
            elif path.is_file():
                yield _info(name, tarfile.REGTYPE, 0o644, mtime, uid, st.st_size), path


def _system_owned(name: str, r: Roots) -> bool:
    """Drive roots above the profile (``mnt/c``, ``mnt/c/Users``) stay root-owned."""
    home = r.home.lstrip("/")
    return home.startswith(name + "/") and name != home


def _parents(mount: str, home: str) -> Iterator[tuple[tarfile.TarInfo, None]]:
    """Directories between ``/`` and the home (e.g. ``mnt/c/Users``) that the tree may not contain."""
    parts = home.lstrip("/").split("/")
    for i in range(2, len(parts)):
        name = "/".join(parts[:i])
        if name.startswith(mount.lstrip("/")):
            yield _info(name, tarfile.DIRTYPE, 0o755, 0, 0), None
