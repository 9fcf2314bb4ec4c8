"""``skills mine``: judged runs -> evidence clusters -> one skill per cluster -> de-duplicated, capped folder."""

from __future__ import annotations

import re
from pathlib import Path

from agent_harness.skills.evidence import collect
from agent_harness.skills.format import Skill, SkillError, check_replaceable, write_skills
from agent_harness.skills.miners import make_miner

MIN_WEIGHT = 1  # a cluster needs at least one turn or item of evidence
SIMILAR = 0.85  # word-set Jaccard above which two skills are the same skill


def _words(s: Skill) -> set[str]:
    return set(re.findall(r"[a-z]{3,}", (s.description + " " + s.body).lower()))


def similar(a: Skill, b: Skill) -> bool:
    wa, wb = _words(a), _words(b)
    return a.name == b.name or (bool(wa | wb) and len(wa & wb) / len(wa | wb) >= SIMILAR)


def dedup(skills: list[Skill], cap: int) -> list[Skill]:
    """Keep the first of near-identical skills (merging provenance), then the first ``cap``."""
    kept: list[Skill] = []
    for s in skills:
        twin = next((k for k in kept if similar(k, s)), None)
        if twin is None:
            kept.append(s)
            continue
        prov = twin.provenance.setdefault("merged", [])
        prov.append(s.provenance)
        if twin.procedure != s.procedure:
            twin.procedure = list(dict.fromkeys(twin.procedure + s.procedure))
            twin.body = re.sub(r"\n```yaml\nprocedure:.*?```\n", "\n", twin.body, flags=re.DOTALL)
    return kept[:cap]


def mine_skills(runs: list[Path], out: Path, miner: str = "offline", cap: int = 8,
                base_url: str | None = None) -> list[Skill]:
    """Mine ``runs`` into ``out`` (replaced atomically). Clusters are ranked by evidence weight."""
    if not runs:
        raise SkillError("no runs given")
    if cap < 1:
        raise SkillError("--max-skills must be at least 1")
    mine = make_miner(miner, base_url)
    check_replaceable(Path(out).absolute())  # before the work, not after it
    clusters = sorted((c for c in collect(runs).values() if c.weight >= MIN_WEIGHT),
                      key=lambda c: (c.kind != "failure", -c.weight, c.key))
    skills = []
    for c in clusters:
        s = mine(c)
        s.provenance = c.provenance() | {"miner": miner}
        skills.append(s)
    skills = dedup(skills, cap)
    if not skills:
        raise SkillError("the runs show no failure or success pattern to mine")
    write_skills(skills, out)
    return skills
