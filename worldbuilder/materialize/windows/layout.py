"""What a spec with the Windows layout becomes on a Windows computer.

The tree's ``C/Users/<Name>`` folder is the profile of the local account ``<Name>`` (Windows names
the profile folder after the account, so the two are the same), ``D/...`` is the data drive.
Nothing else may sit under ``C`` and no other drive letter is supported.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from worldbuilder.errors import WorldbuilderError
from worldbuilder.materialize.windows.names import check_account
from worldbuilder.spec import ComputerSpec


class LayoutError(WorldbuilderError):
    """A computer that cannot become a Windows computer (Linux layout, unsupported drives...)."""


@dataclass(frozen=True)
class WindowsLayout:
    computer_id: str
    account: str  # local account name == profile folder name, e.g. "Laura"
    full_name: str
    profile_rel: str  # "C/Users/Laura"
    data_rel: str  # "D"
    hostname: str  # NetBIOS-safe, at most 15 characters

    @property
    def home(self) -> str:
        return f"C:\\Users\\{self.account}"

    def profile_dir(self, tree: Path) -> Path | None:
        p = tree / self.profile_rel
        return p if p.is_dir() else None

    def data_dir(self, tree: Path) -> Path | None:
        p = tree / self.data_rel
        return p if p.is_dir() else None


def windows_layout(spec: ComputerSpec) -> WindowsLayout:
    """The Windows view of ``spec``; :class:`LayoutError` when it has no Windows layout."""
    lay = spec.layout
    if lay.kind != "windows":
        raise LayoutError(f"computer {spec.id} has a {lay.kind} layout; --os windows needs a spec with the "
                          "Windows layout (C/Users/<Name>, D/...)")
    drives = {k.upper(): v for k, v in (lay.drives or {"C:": "C"}).items()}
    extra = sorted(set(drives) - {"C:", "D:"})
    if extra:
        raise LayoutError(f"computer {spec.id}: drives {', '.join(extra)} are not supported (only C: and D:)")
    parts = (lay.profile_root or "").split("/")
    if len(parts) != 3 or parts[0] != drives.get("C:") or parts[1] != "Users":
        raise LayoutError(f"computer {spec.id}: profile root {lay.profile_root!r} is not C/Users/<Name>")
    account = check_account(parts[2])
    host = "DESKTOP-" + "".join(c for c in spec.id.upper() if c.isalnum())[:7]
    return WindowsLayout(spec.id, account, spec.profile.full_name, lay.profile_root, drives.get("D:", "D"), host)


def check_tree(lay: WindowsLayout, tree: Path) -> None:
    """Every top-level entry is a drive folder, and ``C`` holds only the profile."""
    for top in sorted(tree.iterdir()):
        if top.name not in ("C", lay.data_rel):
            raise LayoutError(f"{top.name}: only the drive folders C and {lay.data_rel} can be staged")
    c = tree / "C"
    allowed = {"C", "C/Users", lay.profile_rel}
    if c.is_dir():
        for p in sorted(c.rglob("*")):
            rel = p.relative_to(tree).as_posix()
            if rel not in allowed and not rel.startswith(lay.profile_rel + "/"):
                raise LayoutError(f"{rel}: only the profile folder {lay.profile_rel} can be staged for C:")


def hidden_paths(spec: ComputerSpec, lay: WindowsLayout) -> frozenset[str]:
    """Tree paths that are hidden on Windows: the spec's hidden files and folders, and the profile's
    ``AppData`` (Windows hides it; robocopy /COPY:DAT would otherwise unhide the real one)."""
    out = {f.path for f in spec.files if f.hidden} | {d.path.strip("/") for d in spec.dirs if d.hidden}
    return frozenset(out | {f"{lay.profile_rel}/AppData"})
