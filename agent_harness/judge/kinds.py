"""The judge's plug-in map: criterion kinds registered by name, one function per ``check.type``.

A kind function gets the criterion and the :class:`Ctx` of its deliverable and returns a :class:`Verdict`
(a fraction of the criterion's points, the evidence found and why). Kinds live in
:mod:`~agent_harness.judge.criteria` and :mod:`~agent_harness.judge.criteria_work`, decorated with
``@kind("name")``; :mod:`agent_harness.judge.api` imports both, so :data:`KINDS` is full whenever the
``agent_harness.judge`` package is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from agent_harness.judge.inputs import DeliverableInput, JudgeInput, norm

if TYPE_CHECKING:  # standard library only at run time: the in-computer Harbor grader ships this module
    from agent_harness.models import Criterion


@dataclass
class Verdict:
    fraction: float  # 0..1 of the criterion's points
    evidence: str = ""
    rationale: str = ""
    status: str = "scored"  # or "unjudged"
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Ctx:
    inp: JudgeInput
    dlv: DeliverableInput
    llm: Any = None  # an LLMJudge, or None offline


Kind = Callable[["Criterion", Ctx], Verdict]
KINDS: dict[str, Kind] = {}
PROCESS_KINDS = frozenset({"message_sent"})  # judged from the logs, not from the outputs


def kind(name: str) -> Callable[[Kind], Kind]:
    def deco(fn: Kind) -> Kind:
        KINDS[name] = fn
        return fn
    return deco


def yes(evidence: str, why: str) -> Verdict:
    return Verdict(1.0, evidence, why)


def no(why: str, evidence: str = "") -> Verdict:
    return Verdict(0.0, evidence, why)


def addressed(to: list[str], pid: str, x: Ctx) -> bool:
    """The message recipients ``to`` include person ``pid`` (by id, name or e-mail)."""
    name, email = x.inp.people.get(pid, ("", ""))
    wanted = {norm(v) for v in (pid, name, email) if v}
    return any(norm(t) in wanted for t in to)
