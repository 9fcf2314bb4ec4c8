"""Gaming detection: outputs that copy the rubric or dump the source files wholesale earn no content points."""

from __future__ import annotations

from agent_harness.judge.inputs import DeliverableInput, JudgeInput, norm

RUBRIC_COPIES = 2  # criterion texts found verbatim in the outputs
DUMP_SHARE = 0.75  # share of the outputs' informative lines copied verbatim from sources ...
DUMP_COVERAGE = 0.6  # ... while covering this share of the sources' informative lines
MIN_DUMP_LINES = 6


def rubric_copied(dlv: DeliverableInput) -> list[str]:
    """Criterion texts (of >= 4 words) that appear verbatim in the outputs."""
    text = norm(dlv.text)
    return [c.id for c in dlv.deliverable.rubric if len(c.text.split()) >= 4 and norm(c.text) in text]


def dump_ratio(inp: JudgeInput, dlv: DeliverableInput) -> tuple[float, float, int]:
    """(share of output lines copied from sources, share of source lines reproduced, source line count)."""
    src = inp.source_lines(dlv.deliverable.sources)
    out = [norm(line) for f in dlv.readable for line in f.text.splitlines()]
    out = [s for s in out if len(s.split()) >= 6]
    if not src or not out:
        return 0.0, 0.0, len(src)
    src_set = set(src)
    copied = sum(1 for s in out if s in src_set)
    text = norm(dlv.text)
    covered = sum(1 for s in src if s in text)
    return copied / len(out), covered / len(src), len(src)


def gaming_reason(inp: JudgeInput, dlv: DeliverableInput) -> str:
    """Why the outputs look like a gaming attempt, or ``""``."""
    copies = rubric_copied(dlv)
    if len(copies) >= RUBRIC_COPIES:
        return f"outputs copy the rubric ({len(copies)} criterion texts verbatim)"
    share, coverage, n = dump_ratio(inp, dlv)
    if n >= MIN_DUMP_LINES and share >= DUMP_SHARE and coverage >= DUMP_COVERAGE:
        return (f"outputs dump the source files ({share:.0%} of their lines copied verbatim, "
                f"{coverage:.0%} of the sources reproduced)")
    return ""
