"""The run directory: append-only, crash-safe JSONL logs and atomically replaced JSON files.

Layout (see docs/harness.md): ``run.json``, ``objectives.json``, ``daily_sim_turns.jsonl``,
``messages.jsonl``, ``snapshots.json``, ``summary.json``, ``state/day-NN.json``, ``deliverables/``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Generic, TypeVar

from pydantic import BaseModel

from agent_harness.models import (
    MessageRecord,
    Objectives,
    RunConfig,
    RunState,
    SnapshotIndex,
    Summary,
    TurnRecord,
)
from worldbuilder.errors import WorldbuilderError

T = TypeVar("T", bound=BaseModel)


class RunDirError(WorldbuilderError):
    """A run directory is missing, malformed or cannot be resumed/forked."""


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via tmp + fsync + rename."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:  # a full disk or an interrupt leaves no half-written .tmp behind
        tmp.unlink(missing_ok=True)
        raise


def write_model(path: Path, model: BaseModel) -> None:
    atomic_write(path, model.model_dump_json(indent=1) + "\n")


def read_model(path: Path, cls: type[T]) -> T:
    try:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RunDirError(f"missing {path}") from exc
    except ValueError as exc:
        raise RunDirError(f"malformed {path}: {str(exc).splitlines()[0]}") from exc


class JsonlLog(Generic[T]):
    """Append-only JSONL of one record model; each line is flushed and fsynced."""

    def __init__(self, path: Path, model: type[T]):
        self.path = path
        self.model = model
        self.repair()
        self._fh = open(path, "a", encoding="utf-8")

    def repair(self) -> int:
        """Drop a torn (unterminated or unparsable) last line left by a crash; return bytes cut."""
        if not self.path.exists():
            self.path.touch()
            return 0
        data = self.path.read_bytes()
        keep = len(data)
        if data and not data.endswith(b"\n"):
            keep = data.rfind(b"\n") + 1
        else:
            last_start = data.rfind(b"\n", 0, len(data) - 1) + 1 if data else 0
            try:
                if data:
                    self.model.model_validate_json(data[last_start:])
            except ValueError:
                keep = last_start
        if keep != len(data):
            with open(self.path, "r+b") as fh:
                fh.truncate(keep)
                fh.flush()
                os.fsync(fh.fileno())
        return len(data) - keep

    def append(self, rec: T) -> None:
        self._fh.write(rec.model_dump_json() + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def __iter__(self) -> Iterator[T]:
        return iter(read_jsonl(self.path, self.model))

    def keep_only(self, pred: Callable[[T], bool]) -> int:
        """Atomically rewrite the log keeping records matching ``pred``; return how many were dropped."""
        recs = read_jsonl(self.path, self.model)
        kept = [r for r in recs if pred(r)]
        self._fh.close()
        atomic_write(self.path, "".join(r.model_dump_json() + "\n" for r in kept))
        self._fh = open(self.path, "a", encoding="utf-8")
        return len(recs) - len(kept)

    def mark_rolled_back(self, pred: Callable[[T], bool]) -> int:
        """Atomically rewrite the log setting ``rolled_back`` on records matching ``pred`` (not yet marked);
        return how many were marked."""
        recs = read_jsonl(self.path, self.model)
        n = 0
        for i, r in enumerate(recs):
            if not getattr(r, "rolled_back", True) and pred(r):
                recs[i] = r.model_copy(update={"rolled_back": True})
                n += 1
        if n:
            self._fh.close()
            atomic_write(self.path, "".join(r.model_dump_json() + "\n" for r in recs))
            self._fh = open(self.path, "a", encoding="utf-8")
        return n

    def close(self) -> None:
        self._fh.close()


def read_jsonl(path: Path, model: type[T]) -> list[T]:
    out: list[T] = []
    if not path.exists():
        return out
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(model.model_validate_json(line))
            except ValueError as exc:
                raise RunDirError(f"{path}:{n}: invalid record: {str(exc).splitlines()[0]}") from exc
    return out


class RunDir:
    """Paths and typed accessors of one run directory."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()

    run_json = property(lambda s: s.root / "run.json")
    objectives_json = property(lambda s: s.root / "objectives.json")
    turns_jsonl = property(lambda s: s.root / "daily_sim_turns.jsonl")
    messages_jsonl = property(lambda s: s.root / "messages.jsonl")
    snapshots_json = property(lambda s: s.root / "snapshots.json")
    summary_json = property(lambda s: s.root / "summary.json")
    state_dir = property(lambda s: s.root / "state")
    deliverables_dir = property(lambda s: s.root / "deliverables")
    live_json = property(lambda s: s.root / "live.json")  # the running computer (for cleanup)

    def state_path(self, day: int) -> Path:
        return self.state_dir / f"day-{day:02d}.json"

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.state_dir.mkdir(exist_ok=True)
        self.deliverables_dir.mkdir(exist_ok=True)

    def config(self) -> RunConfig:
        return read_model(self.run_json, RunConfig)

    def objectives(self) -> Objectives:
        return read_model(self.objectives_json, Objectives)

    def snapshots(self) -> SnapshotIndex:
        if not self.snapshots_json.exists():
            return SnapshotIndex()
        return read_model(self.snapshots_json, SnapshotIndex)

    def summary(self) -> Summary | None:
        return read_model(self.summary_json, Summary) if self.summary_json.exists() else None

    def state(self, day: int) -> RunState:
        return read_model(self.state_path(day), RunState)

    def turns(self, rolled_back: bool = True) -> list[TurnRecord]:
        """All turn records; ``rolled_back=False`` leaves out those of abandoned day attempts."""
        return [t for t in read_jsonl(self.turns_jsonl, TurnRecord) if rolled_back or not t.rolled_back]

    def messages(self, rolled_back: bool = True) -> list[MessageRecord]:
        return [m for m in read_jsonl(self.messages_jsonl, MessageRecord) if rolled_back or not m.rolled_back]

    def live(self) -> dict:
        try:
            return json.loads(self.live_json.read_text())
        except (OSError, ValueError):
            return {}
