"""What a judge looks at, independent of where it came from (a run directory or the judge-evaluation set)."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from worldbuilder.extract import extract_text_ok, file_type

if TYPE_CHECKING:  # standard library only at run time: the in-computer grader ships this module
    from agent_harness.models import Deliverable, MessageRecord, Objectives, TurnRecord
    from worldbuilder.spec import Fact

_QUOTES = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "−": "-",
                         "\u00a0": " "})


def norm(text: str) -> str:
    """Text for matching: NFKC, plain quotes and dashes, collapsed whitespace, casefolded."""
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).split()).casefold()


_TEXTS: dict[tuple[str, str], tuple[str, bool]] = {}


def _extract(kind: str, digest: str, data: bytes) -> tuple[str, bool]:
    """Text of an output, cached by content (an unchanged file is parsed once across the days judged)."""
    key = (kind, digest)
    if key not in _TEXTS:
        if len(_TEXTS) > 2048:
            _TEXTS.clear()
        text, ok = extract_text_ok(f"x.{kind}", data)
        _TEXTS[key] = (text.replace("\x00", ""), ok)
    return _TEXTS[key]


@dataclass
class OutputFile:
    """One output of a deliverable as found in the judged snapshot (``data`` None: not there)."""

    path: str
    data: bytes | None
    origin: str = ""  # where it was read from (deliverables dir, snapshot)
    text: str = ""
    ok: bool = False

    def __post_init__(self) -> None:
        if self.data is not None:
            self.text, self.ok = _extract(file_type(self.path), hashlib.sha256(self.data).hexdigest(), self.data)
        self.norm = norm(self.text)

    @property
    def exists(self) -> bool:
        return self.data is not None

    @property
    def kind(self) -> str:
        return file_type(self.path)


@dataclass
class DeliverableInput:
    deliverable: Deliverable
    files: dict[str, OutputFile]  # path -> output (expected outputs and submitted paths)
    submit_days: list[int] = field(default_factory=list)  # days with a successful submit (<= judged day)

    @property
    def readable(self) -> list[OutputFile]:
        return [f for f in self.files.values() if f.exists and f.ok]

    @property
    def text(self) -> str:
        return "\n".join(f.text for f in self.readable)

    @property
    def words(self) -> int:
        return len(self.text.split())

    def find(self, needle: str) -> OutputFile | None:
        """The first readable output whose normalised text contains ``needle`` (normalised)."""
        n = norm(needle)
        if not n:
            return None
        return next((f for f in self.readable if n in f.norm), None)


@dataclass
class JudgeInput:
    run: str
    day: int
    objectives: Objectives
    facts: dict[str, Fact]  # tracked facts of the computer by id (empty when the computer is gone)
    people: dict[str, tuple[str, str]]  # person id -> (name, email)
    messages: list[MessageRecord]  # up to the judged day, abandoned attempts left out
    turns: list[TurnRecord]
    deliverables: dict[str, DeliverableInput]
    sources: dict[str, str] = field(default_factory=dict)  # home-relative source path -> text
    notes: list[str] = field(default_factory=list)

    def source_lines(self, paths: list[str]) -> list[str]:
        """Normalised informative lines (>= 6 words) of the given sources."""
        out: list[str] = []
        for p in paths:
            for line in self.sources.get(p, "").splitlines():
                s = norm(line)
                if len(s.split()) >= 6 and s not in out:
                    out.append(s)
        return out

