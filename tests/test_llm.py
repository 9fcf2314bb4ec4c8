"""The LLM client and the LLM generator, against a real scripted chat-completions server (tests/scripted_llm.py)."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path

import pytest
from llm_world import PERSONA, content_for, file_info, prompt, world_handler
from pydantic import BaseModel
from scripted_llm import Reply, ScriptedLLM, sequence

from worldbuilder.errors import GenerationError
from worldbuilder.generate.base import PlanContext
from worldbuilder.generate.llm_backend import LLMGenerator
from worldbuilder.llm import LLMClient, LLMConfig, extract_json

KEY = "sk-test-5ecret-Key-0123456789"
MSG = [{"role": "user", "content": "hello"}]


class Answer(BaseModel):
    name: str
    count: int


def config(server: ScriptedLLM, tmp_path: Path, **kw) -> LLMConfig:
    values = {"model": "scripted-model", "base_url": server.url, "cache_dir": tmp_path / "cache",
              "backoff_base": 0.01, "timeout": 5.0, **kw}
    return LLMConfig(**values)


@pytest.fixture(autouse=True)
def api_key(monkeypatch):
    monkeypatch.setenv("WORLDBUILDER_LLM_API_KEY", KEY)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)


def all_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


# --------------------------------------------------------------------------- client: transport


def test_tool_calls_malformed_arguments_and_429_are_handled(scripted_llm_server, tmp_path):
    server = scripted_llm_server
    server.expect_api_key = KEY
    server.handler = sequence([
        Reply.tools([("read_file", {"path": "notes.md"})]),
        Reply.tools([("write_file", '{"path": broken')]),
        Reply.error(429, "slow down", retry_after=2),
        Reply.text("done"),
    ])
    slept: list[float] = []
    client = LLMClient(config(server, tmp_path, cache=False), sleep=slept.append)
    tools = [{"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}}]
    first = client.chat(MSG, tools=tools, role="agent")
    assert first.tool_calls[0].name == "read_file" and json.loads(first.tool_calls[0].arguments) == {"path": "notes.md"}
    convo = [*MSG, first.message(), {"role": "tool", "tool_call_id": first.tool_calls[0].id, "content": "x"}]
    second = client.chat(convo, tools=tools, role="agent")
    assert second.tool_calls[0].arguments == '{"path": broken'  # passed through for the caller to reject
    third = client.chat([*convo, second.message()], tools=tools, role="agent")
    assert third.content == "done" and slept == [2.0]  # Retry-After honoured
    assert server.count == 4 and client.requests == 4
    assert server.requests[0].body["tools"] == tools
    assert server.requests[1].body["messages"][1]["tool_calls"][0]["function"]["name"] == "read_file"
    server.assert_auth(KEY)
    assert client.usage["agent"].calls == 3 and client.usage["agent"].total_tokens > 0


def test_5xx_timeout_and_malformed_body_are_retried(scripted_llm_server, tmp_path):
    server = scripted_llm_server
    server.handler = sequence([Reply.error(500), Reply.raw(b"{not json"), Reply.delayed(3, "late"), Reply.text("ok")])
    client = LLMClient(config(server, tmp_path, cache=False, timeout=0.5, max_retries=3))
    assert client.chat(MSG).content == "ok"
    assert server.count == 4


def test_retries_are_bounded_and_client_errors_fail_fast(scripted_llm_server, tmp_path):
    server = scripted_llm_server
    server.handler = lambda r: Reply.error(503, "overloaded")
    client = LLMClient(config(server, tmp_path, cache=False, max_retries=2))
    with pytest.raises(GenerationError, match=r"failed after 3 attempt\(s\): HTTP 503: overloaded") as exc:
        client.chat(MSG)
    assert "\n" not in str(exc.value) and server.count == 3
    server.reset()
    server.handler = lambda r: Reply.error(400, "bad model")
    with pytest.raises(GenerationError, match="rejected: HTTP 400: bad model"):
        client.chat(MSG)
    assert server.count == 1


def test_wrong_key_is_rejected_without_leaking_it(scripted_llm_server, tmp_path, monkeypatch):
    server = scripted_llm_server
    server.expect_api_key = "sk-the-right-one"
    client = LLMClient(config(server, tmp_path))
    with pytest.raises(GenerationError, match="HTTP 401") as exc:
        client.chat(MSG)
    assert KEY not in str(exc.value) and server.count == 1


# --------------------------------------------------------------------------- client: JSON, cache, map


def test_chat_json_accepts_fences_and_feeds_back_invalid_output(scripted_llm_server, tmp_path):
    server = scripted_llm_server
    server.handler = sequence(['{"name": "x", "count": "many"}', '```json\n{"name": "x", "count": 3}\n```'])
    client = LLMClient(config(server, tmp_path))
    answer, usage = client.chat_json(MSG, Answer, role="stage")
    assert answer == Answer(name="x", count=3) and usage.calls == 2
    retry = server.requests[1].body["messages"]
    assert retry[-2]["role"] == "assistant" and "count" in retry[-1]["content"] and "invalid" in retry[-1]["content"]
    assert server.requests[0].body["response_format"] == {"type": "json_object"}
    assert '"title":"Answer"' in server.requests[0].body["messages"][-1]["content"]  # schema in the prompt


def test_chat_json_gives_up_after_bounded_attempts(scripted_llm_server, tmp_path):
    server = scripted_llm_server
    server.handler = lambda r: "I cannot do that"
    client = LLMClient(config(server, tmp_path, json_attempts=2))
    with pytest.raises(GenerationError, match="no valid Answer after 2 attempt") as exc:
        client.chat_json(MSG, Answer)
    assert "\n" not in str(exc.value) and server.count == 2


def test_extract_json_variants():
    assert extract_json('Sure! {"a": 1} hope that helps') == {"a": 1}
    assert extract_json("```\n[1, 2]\n```") == [1, 2]
    with pytest.raises(ValueError):
        extract_json("no json here")


def test_cache_replays_without_requests_and_ignores_corrupt_entries(scripted_llm_server, tmp_path):
    server = scripted_llm_server
    cfg = config(server, tmp_path, seed=7)
    first = LLMClient(cfg).chat(MSG)
    assert not first.cached and server.count == 1
    again = LLMClient(cfg).chat(MSG)
    assert again.cached and again.content == first.content and again.usage == first.usage and server.count == 1
    LLMClient(cfg).chat(MSG, temperature=0.1)  # a different request is a different entry
    assert server.count == 2
    entries = sorted((tmp_path / "cache").rglob("*.json"))
    assert len(entries) == 2 and not list((tmp_path / "cache").rglob("*.tmp"))
    for e in entries:
        e.write_text("{truncated")
    assert not LLMClient(cfg).chat(MSG).cached and server.count == 3
    assert LLMClient(cfg).chat(MSG).cached and server.count == 3  # rewritten after the corrupt read


def test_key_never_stored_in_config_client_or_cache(scripted_llm_server, tmp_path, monkeypatch):
    monkeypatch.setenv("WORLDBUILDER_LLM_BASE_URL", scripted_llm_server.url)
    cfg = LLMConfig.from_env("scripted-model", cache_dir=tmp_path / "cache")
    assert cfg.base_url == scripted_llm_server.url and cfg.api_key() == KEY
    client = LLMClient(cfg)
    client.chat(MSG)
    for text in (repr(cfg), cfg.model_dump_json(), str(cfg.model_dump()), repr(client)):
        assert KEY not in text
    assert KEY.encode() not in all_bytes(tmp_path / "cache")
    scripted_llm_server.assert_auth(KEY)
    monkeypatch.delenv("WORLDBUILDER_LLM_API_KEY")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-fallback")
    assert cfg.api_key() == "sk-fallback"
    monkeypatch.setenv("WORLDBUILDER_LLM_JSON_MODE", "false")
    assert LLMConfig.from_env("m").json_mode is False
    monkeypatch.setenv("WORLDBUILDER_LLM_CONCURRENCY", "many")
    with pytest.raises(GenerationError, match="invalid LLM configuration: concurrency"):
        LLMConfig.from_env("m")


def test_official_endpoint_without_key_is_a_clean_error(tmp_path, monkeypatch):
    monkeypatch.delenv("WORLDBUILDER_LLM_API_KEY")
    client = LLMClient(LLMConfig(model="gpt-x", cache_dir=tmp_path))
    with pytest.raises(GenerationError, match="no API key: set WORLDBUILDER_LLM_API_KEY or OPENAI_API_KEY"):
        client.chat(MSG)


def test_map_preserves_order_with_bounded_concurrency(tmp_path):
    client = LLMClient(LLMConfig(model="m", cache_dir=tmp_path, concurrency=3))
    lock, active, peak = threading.Lock(), [0], [0]

    def work(i: int) -> int:
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        time.sleep(0.02 * ((7 * i) % 5))
        with lock:
            active[0] -= 1
        return i * i

    assert client.map(work, range(12)) == [i * i for i in range(12)]
    assert peak[0] == 3


# --------------------------------------------------------------------------- generator stages


def ctx() -> PlanContext:
    return PlanContext(persona=PERSONA, seed=0, size="small", rng=random.Random(0))


@pytest.fixture(scope="module")
def planned(tmp_path_factory):
    """Profile, world, tree and contents from the scripted world (one run for the module)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("WORLDBUILDER_LLM_API_KEY", KEY)
    with ScriptedLLM(world_handler()) as server:
        gen = LLMGenerator(config(server, tmp_path_factory.mktemp("gen")))
        c = ctx()
        profile = gen.profile(c)
        world = gen.world(profile, c)
        tree = gen.tree(profile, world, c)
        contents = dict(zip([f.path for f in tree.files], gen.contents(tree.files, profile, world, c), strict=True))
        yield gen, c, profile, world, tree, contents, server.count
    mp.undo()


def test_profile_and_world_are_repaired(planned):
    gen, c, profile, world, *_ = planned
    assert gen.name == "llm:scripted-model" and c.occupation_id == "financial_advisor"
    assert (profile.username, profile.email, profile.timezone) == ("dokafor", "dokafor@northpeakwealth.com",
                                                                   "America/Denver")
    people = {p.id: p for p in world.people}
    assert people["p03"].email == "evelyn.hartley@hartleyfo.com"  # invalid address rebuilt at the org domain
    assert people["p04"].organisation == "o01"  # unknown organisation -> employer
    j01, j02 = world.projects
    assert j01.code == "HARTLEY" and j01.members == ["p02"]  # unknown member dropped
    assert j02.owner == "p01" and j02.start < j02.end  # unknown owner replaced, dates ordered
    assert world.fact("f04").project is None and world.fact("f01").display == "$48,250,000"


def test_tree_paths_types_times_and_zips(planned):
    _, _, profile, world, tree, *_ = planned
    paths = [f.path for f in tree.files]
    assert len(paths) == 15 and paths == sorted(paths)
    assert "etc/cron.d/nightly.txt" in paths and not any(".." in p or p.startswith(("/", "~")) for p in paths)
    assert "Documents/Reports/notes.md" in paths and not any(p.endswith(".exe") for p in paths)
    assert "Clients/Hartley Family/Hartley pitch.pptx" in paths  # extension added from the type
    for f in tree.files:
        assert world.history_start <= f.created <= f.modified <= world.history_end
    pdf = next(f for f in tree.files if f.type == "pdf")
    assert (pdf.created, pdf.modified) == (world.history_start, world.history_end)
    state = next(f for f in tree.files if f.path.endswith("state.json"))
    assert state.refs == [] and state.hidden
    bundle = next(f for f in tree.files if f.type == "zip")
    assert bundle.members and all(m in paths and not m.endswith(".zip") for m in bundle.members)
    dirs = {d.path: d for d in tree.dirs}
    assert {"Clients", "Clients/Hartley Family", ".config", "etc/cron.d"} <= set(dirs) and dirs[".config"].hidden
    assert tree.layout.home == f"/home/{profile.username}"


def test_contents_are_repaired(planned):
    *_, contents, _ = planned
    xlsx = contents["Clients/Hartley Family/Hartley allocation.xlsx"].sheets[0]
    total, check, aum = xlsx.rows[2][1], xlsx.rows[3][1], xlsx.rows[4]
    assert (total.formula, total.value) == ("=SUM(B2:B3)", 48250000.0)  # value fixed to the formula's result
    assert check.formula is None and len(aum) == 2
    assert contents["Compliance/findings.csv"].sheets[0].rows[2][1].formula is None  # no formulas in csv
    assert contents["scripts/fees.py"].text.startswith("def fee(")
    assert contents["scripts/fees.py"].refs == ["p03"]  # facts f03/f01: their display text is not in the code
    notes = contents["Documents/Reports/notes.md"]
    assert notes.refs == ["f03", "p02", "f01", "p03"]  # unknown id "zz9" dropped
    eml = contents["Compliance/reminder.eml"].email
    assert eml.date.tzinfo is None and eml.message_id.endswith("@northpeakwealth.com>")
    event = contents["Documents/Reports/meetings.ics"].events[0]
    assert event.end >= event.start
    assert contents[".config/advisor/settings.toml"].data == {"user": {"name": "Dana"}, "theme": "dark"}
    assert contents["scripts/holdings.jsonl"].data[1] == {"value": 7}
    assert contents["Clients/Hartley Family/Hartley bundle.zip"].members


def test_usage_and_calls_are_recorded(planned):
    _, c, *_, requests = planned
    assert c.llm_calls == requests == 1 + 1 + 1 + 1 + 6 + 14  # persona, profile, world, folders, 6 folders, 14 files
    assert c.tokens["total"] == c.tokens["prompt"] + c.tokens["completion"] > 0
    assert sum(c.tokens[f"{s}_total"] for s in ("persona", "profile", "world", "tree", "content")) == c.tokens["total"]


def test_invalid_content_is_retried_then_falls_back(scripted_llm_server, tmp_path):
    server = scripted_llm_server
    seen: dict[str, int] = {}

    def flaky(request):
        info = file_info(request)
        seen[info["path"]] = seen.get(info["path"], 0) + 1
        if info["type"] == "docx" and seen[info["path"]] == 1:
            return "```json\n{\"title\": \"half"  # invalid once, then fine
        if info["type"] == "pptx":
            return {"slides": "never valid"}
        return content_for(info)

    server.handler = world_handler(content=flaky)
    gen = LLMGenerator(config(server, tmp_path, json_attempts=2))
    c = ctx()
    profile = gen.profile(c)
    world = gen.world(profile, c)
    tree = gen.tree(profile, world, c)
    contents = dict(zip([f.path for f in tree.files], gen.contents(tree.files, profile, world, c), strict=True))
    docx = contents["Clients/Hartley Family/Hartley review Q1.docx"]
    assert docx.blocks[1].text.startswith("Assets under management") and seen[
        "Clients/Hartley Family/Hartley review Q1.docx"] == 2
    pptx = contents["Clients/Hartley Family/Hartley pitch.pptx"]
    assert "placeholder" in pptx.summary and pptx.slides[0].title == "Hartley rebalance proposal"
    assert pptx.slides[1].bullets == ["Hartley AUM: $48,250,000"] and "f01" in pptx.refs


def test_invalid_world_fails_cleanly(scripted_llm_server, tmp_path):
    server = scripted_llm_server
    server.handler = lambda r: {"organisations": []} if "[stage:world]" in prompt(r) else world_handler()(r)
    gen = LLMGenerator(config(server, tmp_path, json_attempts=2))
    c = ctx()
    profile = gen.profile(c)
    with pytest.raises(GenerationError, match="no valid WorldDraft after 2 attempt") as exc:
        gen.world(profile, c)
    assert "\n" not in str(exc.value) and c.llm_calls == 4  # persona, profile, 2 world attempts


# --------------------------------------------------------------------------- end to end


def test_generate_end_to_end_then_rerun_from_cache(tmp_path):
    from worldbuilder import api
    from worldbuilder.spec import ComputerSpec

    with ScriptedLLM(world_handler(), expect_api_key=KEY) as server:
        cfg = config(server, tmp_path)
        first = api.generate(PERSONA, tmp_path / "one", size="small", llm=cfg)
        made = server.count
        server.reset()
        second = api.generate(PERSONA, tmp_path / "two", size="small", llm=cfg)
        assert server.count == 0 and server.requests == []  # everything replayed from the cache
    spec = ComputerSpec.load(first)
    assert spec.generation.backend == "llm:scripted-model" and spec.generation.llm_calls == made == 24
    assert spec.generation.tokens["total"] > 0
    assert len(spec.files) == 15 and spec.profile.full_name == "Dana Okafor"
    for name in ("spec.json", "manifest.json"):
        assert (first / name).read_bytes() == (second / name).read_bytes()
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert len(files) >= 17
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel
    for root in (first, second, tmp_path / "cache"):
        assert KEY.encode() not in all_bytes(root)


def test_llm_backend_reads_the_persona_into_the_same_schema(tmp_path):
    from worldbuilder import api
    from worldbuilder.spec import ComputerSpec

    with ScriptedLLM(world_handler(), expect_api_key=KEY) as server:
        out = api.generate(PERSONA, tmp_path / "c", size="small", llm=config(server, tmp_path))
        persona_req = next(r for r in server.requests if "[stage:persona]" in prompt(r.body))
        profile_req = next(r for r in server.requests if "[stage:profile]" in prompt(r.body))
    assert "PersonaProfile" in json.dumps(persona_req.body["messages"])  # the schema it must answer in
    assert '"wealth management"' in prompt(profile_req.body) and '"currency": "USD"' in prompt(profile_req.body)
    spec = ComputerSpec.load(out)
    pp = spec.persona_profile
    assert pp is not None and pp.source == "llm:scripted-model" and pp.country == "US"
    assert pp.specialty == ["wealth management"] and spec.profile.currency == "USD"
    assert all(p.phone.startswith("+1-") for p in spec.world.people)  # made in the country format


def test_invalid_persona_answer_falls_back_to_the_offline_parse(scripted_llm_server, tmp_path):
    server = scripted_llm_server
    server.handler = lambda r: {"role": 3} if "[stage:persona]" in prompt(r) else world_handler()(r)
    gen = LLMGenerator(config(server, tmp_path, json_attempts=1))
    c = ctx()
    gen.profile(c)
    assert c.persona_profile.source == "offline" and c.persona_profile.role == "financial advisor"
