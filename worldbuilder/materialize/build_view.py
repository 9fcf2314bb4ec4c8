"""What an image build reads of a spec, loaded without validating the documents' content.

A standard computer's ``spec.json`` is several MB, almost all of it ``files[].content``; validating it
into a :class:`ComputerSpec` costs more than building the image. The host-built layer needs only the
id, persona, profile, layout, world end and each path's times, so :func:`load_build_view` validates
exactly those (with the spec's own models and path checks) straight from the JSON bytes, and falls
back to the full load — which raises the precise error — for anything it cannot read.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from worldbuilder.errors import WorldbuilderError
from worldbuilder.spec import (
    SCHEMA_VERSION,
    SPEC_FILE_CAP,
    ComputerSpec,
    Layout,
    Profile,
    World,
    safe_relpath,
)


class _View(BaseModel):
    model_config = ConfigDict(extra="ignore")


class _Stamp(_View):
    path: str

    @field_validator("path")
    @classmethod
    def _relative(cls, v: str) -> str:
        return safe_relpath(v, "path")


class _Dir(_Stamp):
    created: datetime


class _File(_Stamp):
    modified: datetime


class BuildView(_View):
    """The parts of a :class:`ComputerSpec` that staging, labels and the layer builder read."""

    schema_version: str
    id: str
    persona: str
    profile: Profile
    world: World
    layout: Layout
    dirs: list[_Dir] = []
    files: list[_File] = []

    @model_validator(mode="after")
    def _paths_on_drives(self) -> BuildView:
        roots = self.layout.roots()
        if roots and any(p.path.split("/")[0] not in roots for p in [*self.dirs, *self.files]):
            raise ValueError("a path is not on a drive of the windows layout")
        return self


def load_build_view(computer_dir: Path, error: type[WorldbuilderError]) -> tuple[BuildView | ComputerSpec, Path]:
    """(view of the spec, tree) of a rendered computer directory; the full load for anything unusual."""
    from worldbuilder.materialize.staging import load_computer_for_build, validate_spec

    path, tree = Path(computer_dir) / "spec.json", Path(computer_dir) / "tree"
    try:
        if not (path.is_file() and tree.is_dir() and path.stat().st_size <= SPEC_FILE_CAP):
            raise ValueError
        view = BuildView.model_validate_json(path.read_bytes())
        if view.schema_version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
            raise ValueError
    except (OSError, ValueError):  # pydantic's ValidationError is a ValueError
        return load_computer_for_build(computer_dir, error)
    validate_spec(view)  # type: ignore[arg-type]
    return view, tree

