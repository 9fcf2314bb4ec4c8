"""Loading a GDPval-format dataset: local JSONL or parquet with the referenced files beside it.

Columns (the public GDPval schema): ``task_id, sector, occupation, prompt, reference_files,
reference_file_urls, reference_file_hf_uris, deliverable_files, deliverable_file_urls, deliverable_file_hf_uris,
rubric_pretty, rubric_json``; ``rubric_json`` is a list (or a JSON string of a list) of
``{score, criterion, required, rubric_item_id, tags, ...}``. File paths are relative to the dataset folder and
may not leave it. Every problem is one :class:`GDPvalError` line naming the row and the field.
"""

from __future__ import annotations

import json
import posixpath
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from worldbuilder.errors import WorldbuilderError

COLUMNS = ("task_id", "sector", "occupation", "prompt", "reference_files", "reference_file_urls",
           "reference_file_hf_uris", "deliverable_files", "deliverable_file_urls", "deliverable_file_hf_uris",
           "rubric_pretty", "rubric_json")
LIST_COLUMNS = ("reference_files", "reference_file_urls", "reference_file_hf_uris", "deliverable_files",
                "deliverable_file_urls", "deliverable_file_hf_uris")
HUB_PREFIX = "hf://"


class GDPvalError(WorldbuilderError):
    """A GDPval dataset that cannot be used (one line: file, row, field)."""


class RubricItem(BaseModel):
    model_config = ConfigDict(extra="allow")

    rubric_item_id: str
    criterion: str = Field(min_length=1)
    score: float = Field(ge=0)
    required: bool = False
    tags: list[str] = Field(default_factory=list)


class Task(BaseModel):
    task_id: str = Field(min_length=1)
    sector: str
    occupation: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    reference_files: list[str]
    reference_file_urls: list[str]
    reference_file_hf_uris: list[str]
    deliverable_files: list[str]
    deliverable_file_urls: list[str]
    deliverable_file_hf_uris: list[str]
    rubric_pretty: str
    rubric_json: list[RubricItem]

    @property
    def total(self) -> float:
        return sum(i.score for i in self.rubric_json)


class Dataset(BaseModel):
    root: Path
    source: str
    tasks: list[Task]

    def file(self, rel: str) -> Path:
        return self.root / rel


def _rows(path: Path) -> list[dict[str, Any]]:
    if path.suffix == ".parquet":
        try:
            import pyarrow.parquet as pq
        except ImportError:
            raise GDPvalError("reading parquet needs pyarrow (pip install 'worldbuilder[gdpval]')") from None
        try:
            return pq.read_table(path).to_pylist()
        except Exception as exc:  # pyarrow raises many kinds
            raise GDPvalError(f"{path}: not a readable parquet file ({exc})") from None
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            raise GDPvalError(f"{path.name} row {n}: not a JSON object ({exc})") from None
        if not isinstance(obj, dict):
            raise GDPvalError(f"{path.name} row {n}: not a JSON object")
        rows.append(obj)
    return rows


def find_data_file(path: Path) -> Path:
    path = Path(path)
    if path.is_file():
        if path.suffix not in (".jsonl", ".parquet"):
            raise GDPvalError(f"{path}: expected a .jsonl or .parquet file")
        return path
    if path.is_dir():
        found = sorted(path.glob("*.jsonl")) + sorted(path.glob("*.parquet")) + sorted(path.glob("data/*.parquet"))
        if not found:
            raise GDPvalError(f"{path}: no .jsonl or .parquet file in the folder")
        return found[0]
    raise GDPvalError(f"{path}: no such file or folder")


def _field_error(where: str, exc: ValidationError) -> GDPvalError:
    e = exc.errors()[0]
    loc = ".".join(str(x) for x in e["loc"])
    return GDPvalError(f"{where}: field {loc}: {e['msg']}")


def parse_row(raw: dict[str, Any], where: str) -> Task:
    missing = [c for c in COLUMNS if c not in raw]
    if missing:
        raise GDPvalError(f"{where}: missing column {missing[0]!r}")
    row = dict(raw)
    for c in LIST_COLUMNS:
        if row[c] is None:
            row[c] = []
    rubric = row["rubric_json"]
    if isinstance(rubric, str | bytes):
        try:
            rubric = json.loads(rubric)
        except ValueError as exc:
            raise GDPvalError(f"{where}: field rubric_json is not valid JSON ({exc})") from None
    if not isinstance(rubric, list) or not rubric:
        raise GDPvalError(f"{where}: field rubric_json must be a non-empty list of rubric items")
    row["rubric_json"] = rubric
    row["task_id"] = str(row["task_id"])
    try:
        return Task.model_validate(row)
    except ValidationError as exc:
        raise _field_error(where, exc) from None


def safe_relative(rel: str, root: Path, where: str, field: str) -> Path:
    norm = posixpath.normpath(rel.replace("\\", "/"))
    target = (root / norm).resolve()
    if rel.startswith(("/", "~")) or norm.startswith("..") or not target.is_relative_to(root.resolve()):
        raise GDPvalError(f"{where}: field {field}: path {rel!r} escapes the dataset folder")
    return target


def load_dataset(path: Path | str) -> Dataset:
    """Read and check every row; nothing is written."""
    if str(path).startswith(HUB_PREFIX):
        path = download(str(path)[len(HUB_PREFIX):])
    data = find_data_file(Path(path))
    root = data.parent
    tasks, seen = [], set()
    for n, raw in enumerate(_rows(data), 1):
        where = f"{data.name} row {n}" + (f" (task_id {raw.get('task_id')})" if raw.get("task_id") else "")
        t = parse_row(raw, where)
        if t.task_id in seen:
            raise GDPvalError(f"{where}: field task_id: duplicate {t.task_id!r}")
        seen.add(t.task_id)
        for field in ("reference_files", "deliverable_files"):
            for rel in getattr(t, field):
                if not safe_relative(rel, root, where, field).is_file():
                    raise GDPvalError(f"{where}: field {field}: file {rel!r} not found beside the dataset")
        tasks.append(t)
    if not tasks:
        raise GDPvalError(f"{data}: no tasks")
    return Dataset(root=root, source=str(data), tasks=tasks)


def download(repo_id: str) -> Path:
    """Optional download of a dataset from the public dataset hub (``hf://owner/name``); needs huggingface_hub."""
    try:
        from huggingface_hub import snapshot_download
    except ImportError:
        raise GDPvalError("downloading from the hub needs huggingface_hub (pip install 'worldbuilder[gdpval]')") from None
    try:
        return Path(snapshot_download(repo_id=repo_id, repo_type="dataset"))
    except Exception as exc:  # network errors, unknown repo, offline mode
        raise GDPvalError(f"cannot download dataset {repo_id!r} from the hub ({type(exc).__name__}); "
                          "download it elsewhere and give its local folder") from None
