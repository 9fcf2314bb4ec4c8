"""Offline generator: spec validity, persona mapping, determinism, size/type/depth targets."""

from __future__ import annotations

import json
import re
from collections import Counter

import pytest

from worldbuilder.errors import GenerationError
from worldbuilder.generate import plan_computer
from worldbuilder.generate.match import match_persona
from worldbuilder.generate.pipeline import spec_problems
from worldbuilder.generate.tree_layout import TYPE_MIX
from worldbuilder.personas import load_personas, sample_personas
from worldbuilder.spec import ComputerSpec

ADVISOR = "a senior financial advisor at a wealth management firm in Denver"
OTHERS = frozenset({"csv", "eml", "ics", "zip", "jpg", "mp3", "vcf", "mp4", "heic"})


def visible_types(spec: ComputerSpec) -> Counter[str]:
    """Types of the user's own files (hidden caches, mail store and .git housekeeping excluded)."""
    return Counter(f.type for f in spec.files if not f.hidden)


def tv_distance(spec: ComputerSpec | Counter[str]) -> float:
    def pooled(counts: dict[str, float]) -> Counter[str]:
        out: Counter[str] = Counter()
        for t, v in counts.items():
            out["others" if t in OTHERS else t] += v
        return out

    counts = spec if isinstance(spec, Counter) else visible_types(spec)
    n = sum(counts.values())
    obs = pooled({t: c / n for t, c in counts.items()})
    ref = pooled(TYPE_MIX)
    return sum(abs(obs[k] - ref[k]) for k in set(obs) | set(ref)) / 2


def max_depth(spec: ComputerSpec) -> int:
    """Directory levels below the home (Linux) / profile folder or drive root (Windows)."""
    root = spec.layout.profile_root
    depths = []
    for f in spec.files:
        parts = f.path.split("/")
        if root and f.path.startswith(root + "/"):
            depths.append(len(parts) - len(root.split("/")) - 1)
        elif spec.layout.kind == "windows":
            depths.append(len(parts) - 2)
        else:
            depths.append(len(parts) - 1)
    return max(depths)


@pytest.fixture(scope="module")
def advisor() -> ComputerSpec:
    return plan_computer(ADVISOR, seed=0)


def test_spec_is_valid_and_round_trips(advisor: ComputerSpec, tmp_path) -> None:
    assert spec_problems(advisor) == []
    path = advisor.save(tmp_path / "spec.json")
    again = ComputerSpec.load(path)
    assert again.to_json() == advisor.to_json()
    assert advisor.generation.backend == "offline" and advisor.generation.size == "standard"
    assert re.fullmatch(r"[a-z_][a-z0-9_-]{0,31}", advisor.profile.username)
    assert 8 <= len(advisor.world.people) <= 20 and 3 <= len(advisor.world.projects) <= 7
    assert 15 <= len(advisor.world.facts) <= 40
    assert len({f.display for f in advisor.world.facts}) == len(advisor.world.facts)


def test_times_are_ordered(advisor: ComputerSpec) -> None:
    dirs = {d.path: d.created for d in advisor.dirs}
    span = advisor.world.history_end - advisor.world.history_start
    assert 365 * 2 - 40 <= span.days <= 366 * 6 + 90
    for f in advisor.files:
        assert f.created <= f.modified <= advisor.world.history_end
        parent = f.path.rsplit("/", 1)[0] if "/" in f.path else ""
        assert not parent or dirs[parent] <= f.created


@pytest.mark.parametrize(("persona", "occupation", "seniority"), [
    (ADVISOR, "financial_advisor", "senior"),
    ("junior backend developer at a fintech startup in Berlin", "software_engineer", "junior"),
    ("VP of engineering who writes Python on weekends", "software_engineer", "executive"),
    ("wealth planner helping retirees with their portfolio", "financial_advisor", "mid"),
])
def test_persona_mapping(persona: str, occupation: str, seniority: str) -> None:
    m = match_persona(persona)
    assert (m.occupation.id, m.seniority) == (occupation, seniority)


def test_location_and_timezone_follow_the_persona() -> None:
    spec = plan_computer("junior backend developer in Berlin", seed=1, size="small")
    assert spec.profile.location.startswith("Berlin") and spec.profile.timezone == "Europe/Berlin"


@pytest.mark.parametrize("persona", ["a person who likes kites", "someone", "Zorblax the intergalactic yodeler"])
def test_unknown_persona_still_generates(persona: str) -> None:
    spec = plan_computer(persona, seed=0, size="small")
    assert spec.profile.occupation and len(spec.files) >= 40
    assert spec_problems(spec) == []


@pytest.mark.parametrize("persona", ["", "   ", "!!", "12345"])
def test_empty_or_absurd_persona_fails(persona: str) -> None:
    with pytest.raises(GenerationError):
        plan_computer(persona)


def test_determinism_and_seed_sensitivity(advisor: ComputerSpec) -> None:
    again = plan_computer(ADVISOR, seed=0)
    assert again.to_json() == advisor.to_json()
    other = plan_computer(ADVISOR, seed=1)
    assert other.id != advisor.id
    assert [f.path for f in other.files] != [f.path for f in advisor.files]


def test_sizes_scale() -> None:
    small = plan_computer(ADVISOR, seed=2, size="small")
    large = plan_computer(ADVISOR, seed=2, size="large")
    def visible(spec: ComputerSpec) -> int:  # the user's files; hidden caches, mail store and .git come on top
        return sum(not f.hidden for f in spec.files)

    assert 50 <= visible(small) <= 90
    assert 550 <= visible(large) <= 760
    assert len(small.files) < len(large.files) / 3
    assert spec_problems(large) == []


def test_progress_callback_reports_stages() -> None:
    seen: list[tuple[str, int, int]] = []
    spec = plan_computer(ADVISOR, seed=0, size="small", progress=lambda s, d, t: seen.append((s, d, t)))
    stages = [s for s, _, _ in seen]
    assert stages[0] == "profile" and "tree" in stages
    assert ("plan", len(spec.files), len(spec.files)) in seen


def test_content_is_coherent(advisor: ComputerSpec) -> None:
    facts = {f.id: f for f in advisor.world.facts}
    cited = [r for f in advisor.files for r in f.content.refs if r in facts]
    assert len(set(cited)) >= len(facts) // 2
    blob = advisor.to_json()
    for f in advisor.world.facts[:5]:
        if any(f.id in x.content.refs for x in advisor.files if x.type == "docx"):
            assert f"{f.label}: {f.display}" in blob
    sheets = [s for f in advisor.files if f.type == "xlsx" for s in f.content.sheets]
    totals = [c for s in sheets for r in s.rows for c in r if getattr(c, "formula", None)]
    assert totals, "no formulas in any workbook"
    from worldbuilder.invariants import find_violations

    assert find_violations(advisor) == []  # formulas equal their evaluation, ledgers balance, dates in order
    py = [f for f in advisor.files if f.type == "py" and f.content.kind == "code_script"]
    paths = {f.path for f in advisor.files}
    for f in py:
        for ref in re.findall(r'Path\.home\(\) / "([^"]+)"', f.content.text or ""):
            assert f"{advisor.layout.profile_root}/{ref}".lstrip("/") in paths


def test_twenty_builtin_personas_meet_targets() -> None:
    personas = sample_personas(20, seed=7)
    assert len(set(personas)) == 20
    occupations = set()
    pooled: Counter[str] = Counter()
    for i, persona in enumerate(personas):
        spec = plan_computer(persona, seed=i)
        occupations.add(spec.profile.occupation)
        kinds = visible_types(spec)
        pooled.update(kinds)
        assert len(spec.files) >= 150, persona
        assert len(kinds) >= 8, (persona, kinds)
        assert tv_distance(spec) <= 0.5, persona  # single occupations differ from the mix (file_priors.yaml)
        assert 4 <= max_depth(spec) <= 10, persona
        assert spec_problems(spec) == [], persona
    assert len(occupations) >= 5
    assert tv_distance(pooled) <= 0.10  # pooled over the personas, the mix stays near the paper's


def test_sample_personas_is_deterministic_without_replacement() -> None:
    pool = load_personas()
    assert len(pool) >= 200
    a, b = sample_personas(50, seed=3), sample_personas(50, seed=3)
    assert a == b and len(set(a)) == 50 and set(a) <= set(pool)
    assert sample_personas(50, seed=4) != a
    everything = sample_personas(len(pool), seed=1)
    assert sorted(everything) == sorted(pool)


def test_json_content_parses(advisor: ComputerSpec) -> None:
    for f in advisor.files:
        if f.type in ("json", "jsonl", "toml"):
            json.dumps(f.content.data)
            assert f.content.data


def test_rendered_files_are_byte_identical_across_runs(tmp_path) -> None:
    from worldbuilder.render import render_tree

    spec = plan_computer("a junior accountant at a regional CPA firm in Austin", seed=3, size="small")
    render_tree(spec, tmp_path / "a")
    render_tree(plan_computer("a junior accountant at a regional CPA firm in Austin", seed=3, size="small"),
                tmp_path / "b")
    a, b = api_manifest(tmp_path / "a"), api_manifest(tmp_path / "b")
    assert len(a) == len(spec.files) and a == b


def api_manifest(tree):
    from worldbuilder.api import manifest

    return manifest(tree)


def test_python_files_parse(advisor: ComputerSpec) -> None:
    import ast

    for f in advisor.files:
        if f.type == "py":
            ast.parse(f.content.text or "", filename=f.path)


def test_name_draws_come_from_faker_lists_and_repeat_per_seed():
    """The fast name draw uses the locale's own Faker lists; same seed, same names; locales with their own
    name logic (ja_JP romanised names) still go through Faker."""
    import random

    from faker import Faker

    from worldbuilder.generate.people import NamePool, draw_name

    for locale in ("en_US", "de_DE", "en_GB"):
        pool = next(p for p in Faker(locale).providers if hasattr(p, "last_names")).last_names
        assert {draw_name(locale, "last_names", random.Random(i)) for i in range(50)} <= set(pool)
    assert draw_name("ja_JP", "last_names", random.Random(0)) is None
    a = [NamePool("en_US", random.Random(7)).take() for _ in range(3)]
    b = [NamePool("en_US", random.Random(7)).take() for _ in range(3)]
    assert a == b and len({NamePool("en_US", random.Random(s)).take() for s in range(20)}) > 10


def test_money_number_format_follows_the_currency():
    """Sheets format amounts as the prose writes them: a symbol where there is one, else the ISO code after."""
    from worldbuilder.generate.fill import money, money_number_format

    assert money_number_format("GBP") == '"£"#,##0.00' and money_number_format("USD", 0) == '"$"#,##0'
    assert money_number_format("LKR", 0) == '#,##0" LKR"' and money(280900, "LKR").endswith(" LKR")
