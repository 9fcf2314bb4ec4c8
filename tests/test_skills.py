"""Skills: mining judged runs (offline and LLM miners), the format validator, installation in the computer,
the system prompt of the LLM agent, and the weakened scripted agent following a skill's procedure."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent_harness.judge import judge_run
from agent_harness.runs import SimOptions, new_run
from agent_harness.skills.format import Skill, SkillError, load_skills, parse_skill_md, write_skills
from agent_harness.skills.mine import dedup, mine_skills
from worldbuilder.api import generate
from worldbuilder.personas import load_personas


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "worldbuilder.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=600)


def one_error_line(r: subprocess.CompletedProcess, *words: str) -> str:
    assert r.returncode != 0, r.stdout
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


@pytest.fixture(scope="module")
def computer(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("skills") / "computer"
    generate(load_personas()[2], root, seed=0, size="small")
    return root


@pytest.fixture(scope="module")
def weak_run(computer, tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("weak") / "run"
    sim = new_run(computer, run, SimOptions(days=2, turns_per_day=60, runtime="local", agent="offline-weak"))
    assert sim.run().status == "completed"
    judge_run(run)
    return run


def _turns(run: Path) -> list[dict]:
    return [json.loads(x) for x in (run / "daily_sim_turns.jsonl").read_text().splitlines()]


# --------------------------------------------------------------------------- format
def _skill_dir(root: Path, name: str, text: str) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "SKILL.md").write_text(text)
    return root


@pytest.mark.parametrize("text,words", [
    ("# no frontmatter\nbody\n", ["bad/SKILL.md", "no YAML frontmatter"]),
    ("---\nname: bad\n---\nbody\n", ["description", "missing"]),
    ("---\nname: bad\ndescription: " + "x" * 1025 + "\n---\nbody\n", ["description is 1025 characters", "1024"]),
    ("---\nname: Bad_Name\ndescription: use it\n---\nbody\n", ["lowercase"]),
    ("---\nname: " + "a" * 65 + "\ndescription: use it\n---\nbody\n", ["name is 65 characters", "64"]),
    ("---\nname: bad\ndescription: use it\n---\n" + "line\n" * 500, ["body has 500 lines"]),
])
def test_validate_rejects_bad_skills_in_one_line(tmp_path, text, words):
    root = _skill_dir(tmp_path / "skills", "bad", text)
    one_error_line(cli("skills", "validate", root), *words)


def test_skill_roundtrip_and_procedure_block(tmp_path):
    s = Skill(name="read-every-source", description="Use when a deliverable lists sources.", body="# Read\n",
              procedure=["read_all_sources"], provenance={"runs": ["r"]}, reference={"x.json": "{}\n"})
    write_skills([s], tmp_path / "out")
    [back] = load_skills(tmp_path / "out")
    assert back.name == s.name and back.procedure == ["read_all_sources"] and back.provenance == {"runs": ["r"]}
    assert (tmp_path / "out" / "read-every-source" / "reference" / "x.json").exists()
    with pytest.raises(SkillError, match="differs from its folder"):
        (tmp_path / "out" / "read-every-source").rename(tmp_path / "out" / "other")
        load_skills(tmp_path / "out")


def test_dedup_merges_near_identical_and_caps():
    a = Skill(name="a-skill", description="Use when writing outputs at the right path.", body="Write at the path.\n")
    b = Skill(name="b-skill", description="Use when writing outputs at the right path.", body="Write at the path.\n",
              provenance={"runs": ["x"]})
    c = Skill(name="c-skill", description="Use when reading every source file listed.", body="Read them all.\n")
    kept = dedup([a, b, c], cap=5)
    assert [k.name for k in kept] == ["a-skill", "c-skill"] and a.provenance["merged"] == [{"runs": ["x"]}]
    assert [k.name for k in dedup([a, c], cap=1)] == ["a-skill"]


# --------------------------------------------------------------------------- mining
def test_offline_mining_is_deterministic_grounded_and_valid(weak_run, tmp_path):
    r = cli("skills", "mine", weak_run, "--out", tmp_path / "s1")
    assert r.returncode == 0, r.stderr
    mine_skills([weak_run], tmp_path / "s2")
    a = {p.relative_to(tmp_path / "s1"): p.read_bytes() for p in (tmp_path / "s1").rglob("*") if p.is_file()}
    b = {p.relative_to(tmp_path / "s2"): p.read_bytes() for p in (tmp_path / "s2").rglob("*") if p.is_file()}
    assert a == b and a  # byte-identical
    v = cli("skills", "validate", tmp_path / "s1")
    assert v.returncode == 0 and "valid skill" in v.stdout
    skills = {s.name: s for s in load_skills(tmp_path / "s1")}
    # the weakened agent wrote outputs at wrong paths: that failure cluster must be mined
    assert "exact-output-paths" in skills
    turns = {t["turn"]: t for t in _turns(weak_run)}
    judged = json.loads((weak_run / "judgement.json").read_text())
    item_ids = {(d["id"], i["id"]) for d in judged["deliverables"] for i in d["items"]}
    for s in skills.values():
        prov = s.provenance
        assert prov["runs"] == [str(weak_run)] and (prov["turns"] or prov["items"])
        for t in prov["turns"]:
            assert turns[t["turn"]]["tool"] == t["tool"]
        for it in prov["items"]:
            assert (it["deliverable"], it["item"]) in item_ids
    wrong = skills["exact-output-paths"]
    assert wrong.procedure == ["write_exact_output_paths"]
    assert all(not turns[t["turn"]]["args"]["path"].startswith("Deliverables/") for t in wrong.provenance["turns"])
    capped = mine_skills([weak_run], tmp_path / "s3", cap=1)
    assert len(capped) == 1 and len(load_skills(tmp_path / "s3")) == 1


def test_mine_bad_input_is_one_line(tmp_path, computer, weak_run):
    one_error_line(cli("skills", "mine", computer, "--out", tmp_path / "o"), "not a run directory")
    unjudged = tmp_path / "unjudged"
    shutil.copytree(weak_run, unjudged)
    (unjudged / "judgement.json").unlink()
    one_error_line(cli("skills", "mine", unjudged, "--out", tmp_path / "o"), "judge")
    one_error_line(cli("skills", "mine", weak_run, "--out", tmp_path / "o", "--miner", "gpt"), "unknown miner")
    assert not (tmp_path / "o").exists()


def test_llm_miner_words_each_cluster_from_the_evidence(weak_run, tmp_path, scripted_llm_server):
    from scripted_llm import Reply

    retried: list[str] = []

    def answer(req: dict):
        text = req["messages"][-1]["content"]
        if "That answer was invalid" in text:
            retried.append(text)
            return Reply.json({"name": "llm-exact-paths", "description": "Use before writing any output file.",
                               "body": "# Paths\nWrite where the briefing says.\n"})
        assert "Evidence:" in text and "run(s)" in text
        if "path other than" in text:
            return Reply.json({"name": "Not Valid", "description": "x", "body": "y"})  # fed back, retried
        key = "llm-" + ("paths" if "path other than" in text else "other-" + str(len(scripted_llm_server.chat_requests)))
        return Reply.json({"name": key, "description": "Use when the same situation comes up again.",
                           "body": f"# {key}\nEvidence-based steps.\n"})

    scripted_llm_server.handler = answer
    r = cli("skills", "mine", weak_run, "--out", tmp_path / "llm", "--miner", "openai:scripted",
            "--llm-base-url", scripted_llm_server.url)
    assert r.returncode == 0, r.stderr
    skills = {s.name: s for s in load_skills(tmp_path / "llm")}
    assert "llm-exact-paths" in skills and skills["llm-exact-paths"].procedure == ["write_exact_output_paths"]
    assert skills["llm-exact-paths"].provenance["miner"] == "openai:scripted"
    assert len(retried) == 1 and "name" in retried[0]


# --------------------------------------------------------------------------- in the computer
def test_simulate_installs_skills_and_weak_agent_follows_them(computer, weak_run, tmp_path):
    mine_skills([weak_run], tmp_path / "skills")
    run = tmp_path / "run"
    r = cli("simulate", computer, "--runtime", "local", "--days", "2", "--turns-per-day", "60", "--agent",
            "offline-weak", "--skills", tmp_path / "skills", "--skills-path", ".claude/skills", "--run-dir", run)
    assert r.returncode == 0, r.stderr
    cfg = json.loads((run / "run.json").read_text())
    assert cfg["skills_path"] == ".claude/skills" and Path(cfg["skills"]).is_relative_to(run.resolve())
    snaps = json.loads((run / "snapshots.json").read_text())["snapshots"]
    home = next(Path(snaps[-1]["ref"]).glob("home/*"))
    names = sorted(p.name for p in (home / ".claude" / "skills").iterdir())
    assert names == sorted(s.name for s in load_skills(tmp_path / "skills"))
    reads = [t["args"]["path"] for t in _turns(run) if t["tool"] == "read_file"]
    assert all(f".claude/skills/{n}/SKILL.md" in reads for n in names)  # bodies read on demand
    judge_run(run)
    base = json.loads((weak_run / "judgement.json").read_text())["total"]["points"]
    assert json.loads((run / "judgement.json").read_text())["total"]["points"] > base
    one_error_line(cli("simulate", computer, "--runtime", "local", "--skills", tmp_path / "skills",
                       "--skills-path", "../out", "--run-dir", tmp_path / "bad"), "skills-path")
    assert not (tmp_path / "bad").exists()


def test_llm_agent_system_prompt_lists_skills(computer, weak_run, tmp_path, scripted_llm_server, monkeypatch):
    from scripted_llm import Reply

    monkeypatch.setenv("WORLDBUILDER_LLM_CACHE", str(tmp_path / "cache"))
    mine_skills([weak_run], tmp_path / "skills")
    skills = load_skills(tmp_path / "skills")
    scripted_llm_server.handler = lambda req: Reply.tools([("finish_day", {})])
    r = cli("simulate", computer, "--runtime", "local", "--days", "1", "--agent", "openai:scripted", "--skills",
            tmp_path / "skills", "--run-dir", tmp_path / "run", "--llm-base-url", scripted_llm_server.url)
    assert r.returncode == 0, r.stderr
    system = scripted_llm_server.chat_requests[0].body["messages"][0]
    assert system["role"] == "system"
    for s in skills:
        assert f"- {s.name} (.skills/{s.name}/SKILL.md): {s.description}" in system["content"]
        assert s.body.strip().splitlines()[-1] not in system["content"]  # bodies are not in the prompt


def test_parse_rejects_bad_procedure():
    with pytest.raises(SkillError, match="procedure"):
        parse_skill_md("---\nname: a\ndescription: d\n---\n```yaml\nprocedure:\n  - {x: 1}\n```\n")


@pytest.mark.docker
def test_skills_installed_in_a_docker_computer(computer, weak_run, tmp_path):
    from conftest import docker_available

    if not docker_available():
        pytest.skip("no Docker daemon")
    mine_skills([weak_run], tmp_path / "skills", cap=2)
    run = tmp_path / "run"
    r = cli("simulate", computer, "--days", "1", "--turns-per-day", "40", "--agent", "offline-weak",
            "--skills", tmp_path / "skills", "--run-dir", run)
    assert r.returncode == 0, r.stderr
    reads = [t for t in _turns(run) if t["tool"] == "read_file" and t["args"]["path"].startswith(".skills/")]
    assert len(reads) == 2 and not any(t["error"] for t in reads)
    assert all(t["result"].startswith("---\nname: ") for t in reads)
    subprocess.run([sys.executable, "-m", "worldbuilder.cli", "runs", "rm", run], capture_output=True, timeout=300)
