"""GDPval-format runner: the project-made fixture loads (JSONL and parquet), runs offline in computers
generated for each occupation and is graded item by item; bad datasets are one error line naming the row and
the field, with nothing written; the LLM grader and the blind pairwise judge against the scripted server."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from agent_harness.gdpval.dataset import load_dataset
from agent_harness.gdpval.grade import grade_outputs, pairwise

FIXTURE = Path(__file__).parent / "data" / "gdpval"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "worldbuilder.cli", *map(str, args)], capture_output=True,
                          text=True, timeout=900)


def one_error_line(r: subprocess.CompletedProcess, *words: str) -> str:
    assert r.returncode != 0, r.stdout
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), r.stderr
    for w in words:
        assert w in lines[0], lines[0]
    return lines[0]


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "ds"
    shutil.copytree(FIXTURE, dst)
    return dst


def _edit(ds: Path, row: int, fn) -> None:  # noqa: ANN001
    f = ds / "gdpval.jsonl"
    rows = [json.loads(x) for x in f.read_text().splitlines()]
    fn(rows[row - 1])
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_fixture_loads_with_the_public_schema():
    r = cli("gdpval", "load", FIXTURE)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1].endswith("3 task(s)")
    ds = load_dataset(FIXTURE)
    kinds = {Path(p).suffix for t in ds.tasks for p in t.reference_files}
    assert kinds == {".docx", ".xlsx", ".pdf"}
    assert all(any(i.required for i in t.rubric_json) for t in ds.tasks)


def test_parquet_gives_the_same_tasks(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    ds = _copy(tmp_path)
    rows = [json.loads(x) for x in (ds / "gdpval.jsonl").read_text().splitlines()]
    (ds / "gdpval.jsonl").unlink()
    pq.write_table(pa.Table.from_pylist(rows), ds / "train.parquet")
    assert load_dataset(ds).tasks == load_dataset(FIXTURE).tasks


@pytest.mark.parametrize("row,edit,words", [
    (2, lambda r: r.pop("rubric_json"), ["row 2", "task_id wb-fx-002", "missing column 'rubric_json'"]),
    (1, lambda r: r.update(rubric_json="[{not json"), ["row 1", "rubric_json", "not valid JSON"]),
    (3, lambda r: r.update(reference_files=["reference_files/wb-fx-003/gone.pdf"]),
     ["row 3", "reference_files", "gone.pdf", "not found"]),
    (2, lambda r: r.update(reference_files=["../../etc/passwd"]), ["row 2", "reference_files", "escapes"]),
    (1, lambda r: r.update(rubric_json=json.dumps([{"criterion": "x", "score": 1}])),
     ["row 1", "rubric_json.0.rubric_item_id"]),
])
def test_bad_dataset_is_one_line_naming_row_and_field_and_writes_nothing(tmp_path, row, edit, words):
    ds = _copy(tmp_path)
    _edit(ds, row, edit)
    one_error_line(cli("gdpval", "load", ds), *words)
    out = tmp_path / "out"
    one_error_line(cli("gdpval", "run", ds, "--runtime", "local", "--out", out), *words)
    assert not out.exists()


@pytest.mark.parametrize("opt,value", [("--max-wall", "-5"), ("--turns", "0")])
def test_bad_budget_is_one_line_and_writes_nothing(tmp_path, opt, value):
    one_error_line(cli("gdpval", "run", FIXTURE, "--runtime", "local", opt, value, "--out", tmp_path / "o"), opt)
    assert not (tmp_path / "o").exists()


def test_hub_download_unreachable_is_one_line():
    one_error_line(cli("gdpval", "load", "hf://openai/gdpval"), "hub")


def test_required_item_failing_zeroes_the_task(tmp_path):
    import docx

    task = load_dataset(FIXTURE).tasks[0]
    d = docx.Document()
    d.add_paragraph("Facilities overspent this quarter; we recommend two quotes for repairs.")
    d.save(tmp_path / "memo.docx")
    g = grade_outputs(task, [tmp_path / "memo.docx"])
    items = {i.id: i for i in g.items}
    assert items["wb-fx-001-r1"].points == 1 and items["wb-fx-001-r3"].points == 2
    assert items["wb-fx-001-r2"].status == "scored" and items["wb-fx-001-r2"].points == 0
    assert items["wb-fx-001-r4"].status == "unjudged"
    assert g.required_failed == ["wb-fx-001-r2"] and g.points == 0 and g.judged_max == 6 and g.max == 8
    d.add_paragraph("Total Q3 operating expenses: 48,250.")
    d.save(tmp_path / "memo.docx")
    g = grade_outputs(task, [tmp_path / "memo.docx"])
    assert g.points == 6 and not g.required_failed


def test_fixture_runs_offline_and_is_graded(tmp_path):
    out = tmp_path / "res"
    r = cli("gdpval", "run", FIXTURE, "--runtime", "local", "--out", out, "--pairwise", "--turns", "40")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.strip().splitlines()
    rows = [x for x in lines[1:] if x.startswith("wb-fx-")]
    assert len(rows) == 3 and lines[0].startswith("task")
    doc = json.loads((out / "results.json").read_text())
    assert [t["task_id"] for t in doc["tasks"]] == ["wb-fx-001", "wb-fx-002", "wb-fx-003"]
    for t in doc["tasks"]:
        task_dir = out / t["task_id"]
        assert t["outputs"] and all((task_dir / "outputs" / o).is_file() for o in t["outputs"])
        assert len(t["items"]) >= 3 and t["judged_max"] > 0 and t["unjudged"] >= 1
        assert t["points"] == sum(i["points"] for i in t["items"]) or t["required_failed"]
        assert t["pairwise"]["result"] in ("win", "tie", "lose") and len(t["pairwise"]["trials"]) == 2
        assert [tr["A"] for tr in t["pairwise"]["trials"]] == ["agent", "gold"]
        turns = [json.loads(x) for x in (task_dir / "turns.jsonl").read_text().splitlines()]
        assert 0 < len(turns) <= 40
        reads = {x["args"].get("path") for x in turns if x["tool"] == "read_file"}
        assert any(str(p).startswith("reference_files/") for p in reads)
    assert len(list((out / "computers").iterdir())) == 3  # one computer per occupation
    # the offline agent cites the memo's total from the docx reference: the required item is earned
    first = {i["id"]: i for i in doc["tasks"][0]["items"]}
    assert first["wb-fx-001-r2"]["points"] == 3
    one_error_line(cli("gdpval", "run", FIXTURE, "--runtime", "local", "--out", out), "results.json")


def test_run_with_skills_lists_them_to_the_agent(tmp_path):
    sk = tmp_path / "skills" / "read-every-source"
    sk.mkdir(parents=True)
    (sk / "SKILL.md").write_text("---\nname: read-every-source\ndescription: Use when a task lists several "
                                 "reference files.\n---\n# Read all\n\n```yaml\nprocedure:\n  - read_all_sources\n```\n")
    out = tmp_path / "res"
    r = cli("gdpval", "run", FIXTURE, "--runtime", "local", "--out", out, "--tasks", "1", "--agent", "offline-weak",
            "--skills", tmp_path / "skills")
    assert r.returncode == 0, r.stderr
    doc = json.loads((out / "results.json").read_text())
    assert len(doc["tasks"]) == 1
    turns = [json.loads(x) for x in (out / "wb-fx-001" / "turns.jsonl").read_text().splitlines()]
    reads = [x["args"]["path"] for x in turns if x["tool"] == "read_file"]
    assert reads[0] == ".skills/read-every-source/SKILL.md"
    assert {"reference_files/q3_expenses.xlsx", "reference_files/budget_memo.docx"} <= set(reads)


def test_llm_grader_and_blind_pairwise(tmp_path, scripted_llm_server, monkeypatch):
    import docx
    from scripted_llm import Reply

    from agent_harness.gdpval.llm_grader import LLMGrader

    monkeypatch.setenv("WORLDBUILDER_LLM_CACHE", str(tmp_path / "cache"))
    task = load_dataset(FIXTURE).tasks[0]
    d = docx.Document()
    d.add_paragraph("Total Q3 operating expenses: 48,250. Facilities ran over budget.")
    d.add_paragraph("We will require two quotes for any repair above 2,000.")
    d.save(tmp_path / "memo.docx")

    def answer(req: dict):
        text = req["messages"][-1]["content"]
        if "Deliverable A" in text:
            assert "gold" not in text.lower() and "deliverable_files" not in text  # blind
            return Reply.json({"better": "A", "reason": "first"})  # a position-biased judge
        return Reply.json({"met": 1.0, "evidence": "require two quotes for any repair"})

    scripted_llm_server.handler = answer
    llm = LLMGrader("scripted", scripted_llm_server.url)
    g = grade_outputs(task, [tmp_path / "memo.docx"], llm)
    assert {i.id: i.status for i in g.items}["wb-fx-001-r4"] == "scored" and g.points == 8 and g.unjudged == 0
    pw = pairwise(task, [tmp_path / "memo.docx"], [FIXTURE / task.deliverable_files[0]], llm)
    assert [t["preferred"] for t in pw["trials"]] == ["agent", "gold"] and pw["result"] == "tie"
    scripted_llm_server.handler = lambda req: Reply.json({"met": 1.0, "evidence": "an invented quote"})
    g = grade_outputs(task, [tmp_path / "memo.docx"], llm)
    assert {i.id: i.status for i in g.items}["wb-fx-001-r4"] == "unjudged"


@pytest.mark.docker
def test_one_task_in_a_docker_computer(tmp_path):
    from conftest import docker_available

    if not docker_available():
        pytest.skip("no Docker daemon")
    out = tmp_path / "res"
    r = cli("gdpval", "run", FIXTURE, "--runtime", "docker", "--out", out, "--tasks", "1", "--turns", "30")
    assert r.returncode == 0, r.stderr
    [t] = json.loads((out / "results.json").read_text())["tasks"]
    assert t["task_id"] == "wb-fx-001" and t["outputs"] == ["q3_expense_memo.docx"] and t["points"] >= 4
    ps = subprocess.run(["docker", "ps", "-q", "--filter", "name=gdpval-wb-fx-001"], capture_output=True, text=True)
    assert ps.stdout.strip() == ""  # the task's computer is stopped
