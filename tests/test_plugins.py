"""One string->factory map per kind of plug-in, one lookup (worldbuilder.plugins)."""

from __future__ import annotations

import pytest

from agent_harness.agents.base import AGENTS, WorkAgent
from agent_harness.collaborators import COLLABORATORS, make_collaborators
from agent_harness.judge.api import JUDGES, make_llm_judge
from agent_harness.objectives import OBJECTIVE_WRITERS, ObjectivesError, make_writer
from agent_harness.runlog import RunDirError
from agent_harness.runs import make_agent
from worldbuilder.errors import GenerationError, WorldbuilderError
from worldbuilder.generate.base import GENERATORS, GeneratorBackend, make_generator
from worldbuilder.plugins import load, make, names, split
from worldbuilder.runtime.provider import PROVIDERS

MAPS = {"generator": GENERATORS, "objective writer": OBJECTIVE_WRITERS, "agent": AGENTS,
        "collaborators": COLLABORATORS, "provider": PROVIDERS, "judge": JUDGES}


@pytest.mark.parametrize("kind", sorted(MAPS))
def test_every_entry_of_every_map_resolves_to_a_factory(kind):
    for name, target in MAPS[kind].items():
        assert callable(load(target)), f"{kind} {name}: {target}"


def test_split_names_and_model_arguments():
    reg = {"offline": object, "openai:MODEL": object}
    assert split("x", reg, "offline") == ("offline", "")
    assert split("x", reg, "openai:gpt-4o") == ("openai:MODEL", "gpt-4o")
    assert names(reg) == ["offline"]
    for bad in ("openai:", "openai", "gpt4", "offline:x", ""):
        with pytest.raises(WorldbuilderError) as e:
            split("agent", reg, bad)
        assert str(e.value) == f"unknown agent {bad!r} (use one of: offline, openai:MODEL)"


def test_make_passes_only_the_options_a_factory_takes():
    def f(model, base_url=None):
        return (model, base_url)
    assert make("x", {"openai:MODEL": f}, "openai:m1", base_url="u", day_seconds=3) == ("m1", "u")


def test_the_makers_build_by_name_and_reject_unknown_names_in_one_line():
    assert isinstance(make_generator("template"), GeneratorBackend)
    with pytest.raises(GenerationError, match=r"^unknown generator 'gpt' \(use one of: template, llm\)$"):
        make_generator("gpt")
    for name in ("offline", "offline-weak", "reference", "external"):
        assert isinstance(make_agent(name, None), WorkAgent)
    assert type(make_agent("offline-weak", None)).__name__ == "WeakenedScriptedAgent"
    assert make_agent("external", None, day_seconds=7).day_seconds == 7
    with pytest.raises(RunDirError, match="unknown agent 'gpt4'"):
        make_agent("gpt4", None)
    assert type(make_writer("offline")).__name__ == "OfflineObjectiveWriter"
    with pytest.raises(ObjectivesError, match=r"use one of: offline, openai:MODEL"):
        make_writer("llm")
    assert make_llm_judge("offline", 1) is None
    judge = make_llm_judge("openai:judge-model", 3, base_url="http://127.0.0.1:9/v1")
    assert (judge.client.config.model, judge.samples) == ("judge-model", 3)
    with pytest.raises(WorldbuilderError, match=r"^unknown judge 'gpt4' \(use one of: offline, openai:MODEL\)$"):
        make_llm_judge("gpt4", 1)
    with pytest.raises(WorldbuilderError, match="unknown collaborators backend 'x'"):
        make_collaborators("x", None, None)
