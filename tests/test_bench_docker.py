"""Benchmark bundles with real Docker: export a 2-day run at day 0, no keys inside, delete the images,
import (verified, idempotent), boot over SSH, re-run with the offline agent and get the same scores."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path

import pytest
from conftest import docker_available

from agent_harness.bench import archive
from agent_harness.bench.model import Manifest, blob_path
from worldbuilder.materialize.keys import key_path

pytestmark = [pytest.mark.docker, pytest.mark.slow]
WB = str(Path(sys.executable).parent / "worldbuilder")
PERSONA = "a payroll officer at a regional hospital trust in Sheffield"
SEED = 1313


def wb(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run([WB, *args], capture_output=True, text=True, timeout=1200)
    if check and proc.returncode != 0:
        raise AssertionError(f"worldbuilder {' '.join(args)} failed: {proc.stderr[-2000:]}")
    return proc


def tags(repo: str) -> list[str]:
    out = subprocess.run(["docker", "images", repo, "--format", "{{.Repository}}:{{.Tag}}"], capture_output=True,
                         text=True, check=True).stdout.split()
    return sorted(t for t in out if not t.endswith(":<none>"))


def remove_images(cid: str) -> None:
    """Remove this test computer's own images (computer, snapshots, bench tags), never the shared base."""
    refs = tags(f"worldbuilder/computer-{cid}") + tags(f"worldbuilder/bench-{cid}")
    if refs:
        subprocess.run(["docker", "rmi", "-f", *refs], capture_output=True, check=True)


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """A computer and its 2-day offline run (judged when the judge is installed)."""
    if not docker_available():
        pytest.fail("Docker is not running; run scripts/ensure-engine.sh docker")
    base = tmp_path_factory.mktemp("bench")
    comp, run = base / "computer", base / "run"
    wb("generate", "--persona", PERSONA, "--seed", str(SEED), "--size", "small", "--out", str(comp))
    wb("objectives", str(comp), "--days", "2")
    wb("image", "build", str(comp))
    wb("simulate", str(comp), "--days", "2", "--turns-per-day", "12", "--run-dir", str(run))
    try:
        from agent_harness.judge import judge_run
    except ImportError:
        judge_run = None
    if judge_run is not None:
        judge_run(run)
    cid = json.loads((comp / "spec.json").read_text())["id"]
    yield base, comp, run, cid
    remove_images(cid)


@pytest.fixture(scope="module")
def bundle(source):
    base, _, run, _ = source
    out = base / "bundle"
    wb("bench", "export", str(run), "--day", "0", "--out", str(out), "--name", "roundtrip", "--version", "0.1")
    return out


def _layer_names(path: Path) -> list[str]:
    with tarfile.open(path) as tar:
        return tar.getnames()


def test_bundle_layout_and_no_key_material(source, bundle):
    _, comp, run, cid = source
    m = Manifest.model_validate_json((bundle / "benchmark.json").read_text())
    assert (m.name, m.version, len(m.tasks)) == ("roundtrip", "0.1", 1)
    task = m.tasks[0]
    tdir = bundle / "tasks" / task.id
    briefing = (tdir / "briefing.json").read_text()
    assert "rubric" not in briefing and "rubric" in (tdir / "grader" / "objectives.json").read_text()
    assert set(m.files) == {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()} - {
        "benchmark.json"}
    # the secrets the source image and this machine hold: host keys baked into the built image, the
    # computer's SSH client key, the authorized public key
    src_image = json.loads((run / "run.json").read_text())["image"]
    host_key = subprocess.run(["docker", "run", "--rm", "--network", "none", "--entrypoint", "cat", src_image,
                               "/etc/ssh/ssh_host_ed25519_key"], capture_output=True, check=True).stdout
    client_key = key_path(cid).read_bytes()
    secrets_ = [_pem_body(host_key), _pem_body(client_key), key_path(cid).with_suffix(".pub").read_text().split()[1]]
    for p in bundle.rglob("*"):
        if p.is_file():
            data = p.read_bytes()
            for s in secrets_:
                assert s.encode() not in data, f"key material in {p}"
            assert b"sk-" + b"SENTINEL" not in data
    for layer in task.image.layers:
        names = _layer_names(bundle / blob_path(layer))
        assert not [n for n in names if "ssh_host_" in n and not n.endswith(".pub") and ".wh." not in n]
        assert not [n for n in names if n.endswith("authorized_keys")]
    cfg = json.loads((bundle / blob_path(task.image.config)).read_text())
    assert "ssh-keygen -A" in " ".join(cfg["config"]["Cmd"])
    assert "org.worldbuilder.host-key" not in cfg["config"]["Labels"]


def _pem_body(pem: bytes) -> str:
    lines = [ln for ln in pem.decode().splitlines() if ln and not ln.startswith("-----")]
    return "".join(lines)[20:80]


HARBOR_PY = Path(__file__).resolve().parents[1] / ".venv-harbor" / "bin" / "python"
HARBOR_LOAD = """
import json, sys
from pathlib import Path
from harbor.models.task.task import Task
out = []
for d in sorted(Path(sys.argv[1]).iterdir()):
    t = Task(d)
    e = t.config.environment
    out.append({"name": t.name, "image": e.docker_image, "network": e.network_mode.value, "cpus": e.cpus,
                "memory_mb": e.memory_mb, "skills_dir": e.skills_dir, "instruction": t.instruction[:200]})
print(json.dumps(out))
"""


def test_harbor_tasks_load_with_harbor_and_grade_in_the_computer(source, tmp_path):
    _, _, run, _ = source
    out = tmp_path / "harbor"
    wb("bench", "export", str(run), "--format", "harbor", "--solution", "--skills-dir", "/skills", "--out", str(out))
    objectives = json.loads((run / "objectives.json").read_text())
    dirs = sorted(out.iterdir())
    assert len(dirs) == len(objectives["deliverables"])
    for d in dirs:
        assert "rubric" not in (d / "instruction.md").read_text().lower()
        assert (d / "environment" / "Dockerfile").read_text().startswith("FROM worldbuilder/bench-")
    if not HARBOR_PY.exists():
        pytest.skip("no .venv-harbor (scripts/harbor-venv.sh needs Python >= 3.12)")
    loaded = json.loads(subprocess.run([str(HARBOR_PY), "-c", HARBOR_LOAD, str(out)], capture_output=True,
                                       text=True, check=True).stdout)
    assert [t["network"] for t in loaded] == ["no-network"] * len(dirs)
    assert {t["skills_dir"] for t in loaded} == {"/skills"} and loaded[0]["memory_mb"] == 1024
    # the grader runs inside the computer: nothing written -> 0; the source run's files -> > 0
    d = dirs[0]
    image = loaded[0]["image"]
    script = "bash /tests/test.sh >/dev/null; cat /logs/verifier/reward.json; echo =====; " \
             "bash /solution/solve.sh && bash /tests/test.sh >/dev/null && cat /logs/verifier/reward.json"
    proc = subprocess.run(["docker", "run", "--rm", "--network", "none", "-v", f"{d / 'tests'}:/tests:ro",
                           "-v", f"{d / 'solution'}:/solution:ro", image, "sh", "-c", script],
                          capture_output=True, text=True, check=True, timeout=300)
    before, after = (json.loads(x) for x in proc.stdout.split("====="))
    did = objectives["deliverables"][0]["id"]
    meta = tomllib.loads((d / "task.toml").read_text())["metadata"]
    assert meta["deliverable"] == did and meta["dropped_criteria"]
    outputs = [o["path"] for o in objectives["deliverables"][0]["outputs"]]
    given = {p: d / "solution" / "files" / p.rsplit("/", 1)[-1] for p in outputs}
    points, max_ = host_score(run, did, {p: f.read_bytes() for p, f in given.items() if f.is_file()})
    assert before["reward"] == 0.0 and after["max"] == before["max"] == max_ == meta["points"]
    assert 0 < points and after["reward"] == pytest.approx(points / max_, abs=1e-9)  # the host judge's score


def host_score(run: Path, did: str, files: dict[str, bytes]) -> tuple[float, float]:
    """The host judge (agent_harness.judge, with pydantic) on ``files`` as deliverable ``did``'s outputs."""
    from agent_harness.bench.single import single_objectives
    from agent_harness.judge.api import score_deliverable
    from agent_harness.judge.inputs import DeliverableInput, JudgeInput, OutputFile
    from agent_harness.judge.rundata import computer_view
    from agent_harness.models import Objectives

    one, _ = single_objectives(Objectives.model_validate_json((run / "objectives.json").read_text()), did)
    d = one.deliverables[0]
    computer = json.loads((run / "run.json").read_text())["computer"]
    _, facts, people, sources, _ = computer_view(computer, tuple(sorted(d.sources)))
    dlv = DeliverableInput(d, {o.path: OutputFile(o.path, files.get(o.path)) for o in d.outputs}, [one.days])
    inp = JudgeInput(run="host", day=one.days, objectives=one, facts=facts, people=people, messages=[], turns=[],
                     deliverables={d.id: dlv}, sources=sources)
    score, _ = score_deliverable(inp, dlv)
    return score.points, score.max


def test_single_deliverable_bundle_run_and_its_harbor_reward(source, tmp_path):
    """bench export --deliverable: a one-deliverable task; bench run runs it until submitted and judges it
    alone; the Harbor grader in the computer gives the same points/max for that run's outputs."""
    _, _, run, _ = source
    objectives = json.loads((run / "objectives.json").read_text())
    did = objectives["deliverables"][0]["id"]
    single = tmp_path / "single"
    wb("bench", "export", str(run), "--deliverable", did, "--out", str(single))
    m = Manifest.model_validate_json((single / "benchmark.json").read_text())
    assert [t.deliverables for t in m.tasks] == [[did]] and m.tasks[0].id.endswith(did.replace("_", "-"))
    tdir = single / "tasks" / m.tasks[0].id
    assert [d["id"] for d in json.loads((tdir / "briefing.json").read_text())["deliverables"]] == [did]
    grader = json.loads((tdir / "grader" / "grader.json").read_text())
    assert grader["deliverable"] == did and grader["dropped"] and grader["reference"] is None
    out = tmp_path / "results"
    row = wb("bench", "run", str(single), "--agent", "offline", "--days", "3", "--turns-per-day", "60",
             "--out", str(out)).stdout
    t = json.loads((out / "results.json").read_text())["tasks"][0]
    assert t["deliverable"] == did and list(t["deliverables"]) == [did] and f"{t['points']:g}/{t['max']:g}" in row
    judgement = json.loads((out / t["run"] / "judgement.json").read_text())
    assert (t["points"], t["max"]) == (judgement["total"]["points"], judgement["total"]["max"]) and t["points"] > 0
    summary = json.loads((out / t["run"] / "summary.json").read_text())
    assert did in summary["deliverables"] and summary["days_completed"] < 3  # ended on the day it was submitted
    assert summary["stop_reason"] == t["stop_reason"] == "every deliverable submitted"
    # the same outputs, graded inside the computer by the exported Harbor task
    harbor = tmp_path / "harbor"
    wb("bench", "export", str(run), "--format", "harbor", "--deliverable", did, "--out", str(harbor))
    (hdir,) = harbor.iterdir()
    grading = json.loads((hdir / "tests" / "grading.json").read_text())
    submitted = out / t["run"] / "deliverables" / did
    script = ["set -e"] + [f"mkdir -p \"$(dirname {grading['home']}/{o['path']})\" && "
                           f"cp /given/{o['path'].rsplit('/', 1)[-1]} {grading['home']}/{o['path']}"
                           for o in grading["deliverable"]["outputs"]
                           if (submitted / o["path"].rsplit("/", 1)[-1]).is_file()]
    script.append("bash /tests/test.sh >/dev/null && cat /logs/verifier/reward.json")
    image = tomllib.loads((hdir / "task.toml").read_text())["environment"]["docker_image"]
    proc = subprocess.run(["docker", "run", "--rm", "--network", "none", "-v", f"{hdir / 'tests'}:/tests:ro",
                           "-v", f"{submitted}:/given:ro", image, "sh", "-c", "\n".join(script)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    reward = json.loads(proc.stdout)
    assert (reward["points"], reward["max"]) == (t["points"], t["max"])
    assert reward["reward"] == pytest.approx(t["points"] / t["max"], abs=1e-9)


def test_inspect_sandbox_exec_files_and_lifecycle(bundle):
    pytest.importorskip("inspect_ai")
    import anyio

    from agent_harness.bench.inspect_sandbox import WorldbuilderSandbox

    task = Manifest.model_validate_json((bundle / "benchmark.json").read_text()).tasks[0].id

    async def go() -> None:
        await WorldbuilderSandbox.task_init("t", str(bundle))
        envs = await WorldbuilderSandbox.sample_init("t", str(bundle), {"wb_task": task})
        sb = envs["default"]
        name = sb.computer.name
        try:
            r = await sb.exec(["bash", "--login", "-c", "echo $HOME; whoami"])
            assert r.success and r.stdout.split()[0] == sb.computer.home
            assert (await sb.exec(["sh", "-c", "exit 3"])).returncode == 3
            assert (await sb.exec(["cat"], input="from stdin")).stdout == "from stdin"
            assert (await sb.exec(["sh", "-c", "echo $A"], env={"A": "x y"})).stdout == "x y\n"
            await sb.write_file("notes/new.txt", "hello")
            assert await sb.read_file("notes/new.txt") == "hello"
            assert await sb.read_file(f"{sb.computer.home}/notes/new.txt", text=False) == b"hello"
            assert (await sb.exec(["ls"], cwd="notes")).stdout == "new.txt\n"
            net = await sb.exec(["python3", "-c", "import socket; socket.create_connection(('1.1.1.1', 53), timeout=3)"])
            assert not net.success and "Error" in net.stderr  # no way out
        finally:
            await WorldbuilderSandbox.sample_cleanup("t", str(bundle), envs, False)
        gone = subprocess.run(["docker", "inspect", name], capture_output=True)
        assert gone.returncode != 0

    anyio.run(go)


def test_inspect_eval_with_mockllm_scores_with_our_judge(bundle, tmp_path):
    pytest.importorskip("inspect_ai")
    pytest.importorskip("agent_harness.judge")
    from inspect_ai.log import read_eval_log

    inspect = str(Path(sys.executable).parent / "inspect")
    task_file = Path(__file__).parent / "inspect_wb_task.py"
    proc = subprocess.run([inspect, "eval", f"{task_file}@scripted_bench", "-T", f"bundle={bundle}",
                           "--model", "mockllm/model", "--display", "plain", "--log-dir", str(tmp_path / "logs")],
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    log = read_eval_log(str(next((tmp_path / "logs").glob("*.eval"))))
    assert log.status == "success"
    objectives = json.loads((bundle / "tasks" / log.samples[0].metadata["wb_task"] / "grader" / "objectives.json")
                            .read_text())
    assert len(log.samples) == len(objectives["deliverables"])
    for s in log.samples:
        score = s.scores["worldbuilder_judge"]
        assert 0 < score.value < 1 and score.metadata["max"] > 0  # files valid + sections, no figures
    assert 0 < log.results.scores[0].metrics["mean"].value < 1
    left = subprocess.run(["docker", "images", "--format", "{{.Tag}}"], capture_output=True, text=True).stdout
    assert "inspect-" not in left  # the scorer's snapshot is removed


def test_import_twice_and_boot_after_deleting_images(source, bundle):
    _, _, run, cid = source
    remove_images(cid)
    assert tags(f"worldbuilder/computer-{cid}") == []
    first = wb("bench", "import", str(bundle)).stdout
    ids = {t: _image_id(t) for t in tags(f"worldbuilder/computer-{cid}") + tags(f"worldbuilder/bench-{cid}")}
    assert len(ids) == 2
    assert wb("bench", "import", str(bundle)).stdout == first  # idempotent: nothing reloaded or re-keyed
    assert {t: _image_id(t) for t in ids} == ids
    tag = first.split()[1]
    boot = wb("boot", tag).stdout.split()[0]
    try:
        from worldbuilder.runtime.docker_backend import DockerBackend

        comp = DockerBackend().attach(boot)
        assert comp.exec("test -s ~/.ssh/authorized_keys && ls /etc/ssh/ssh_host_ed25519_key").exit_code == 0
        comp.close()
    finally:
        wb("stop", boot)


def test_bench_run_offline_gives_the_original_scores(source, bundle, tmp_path):
    """After the images were deleted and the bundle imported (test above): same points as the source run."""
    pytest.importorskip("agent_harness.judge")
    _, _, run, _ = source
    out = tmp_path / "results"
    proc = wb("bench", "run", str(bundle), "--agent", "offline", "--out", str(out))
    assert proc.stdout.startswith("| agent |")
    res = json.loads((out / "results.json").read_text())
    original = json.loads((run / "judgement.json").read_text())
    t = res["tasks"][0]
    assert (t["points"], t["max"]) == (original["total"]["points"], original["total"]["max"])
    assert t["deliverables"] == {d["id"]: [d["points"], d["max"]] for d in original["deliverables"]}
    assert t["reference"]["points"] == original["total"]["points"]


def _image_id(ref: str) -> str:
    return subprocess.run(["docker", "image", "inspect", "-f", "{{.Id}}", ref], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_tampered_or_truncated_real_bundle_leaves_no_images(source, bundle, tmp_path):
    _, _, _, cid = source
    remove_images(cid)
    arc = archive.pack(bundle, tmp_path / "b.tar.zst")
    data = arc.read_bytes()
    (tmp_path / "cut.tar.zst").write_bytes(data[: len(data) * 2 // 3])
    proc = wb("bench", "import", str(tmp_path / "cut.tar.zst"), check=False)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "truncated" in proc.stderr
    copy = tmp_path / "copy"
    shutil.copytree(bundle, copy)
    m = Manifest.model_validate_json((copy / "benchmark.json").read_text())
    layer = copy / blob_path(m.tasks[0].image.layers[-1])
    with open(layer, "r+b") as fh:
        fh.seek(700)
        b = fh.read(1)
        fh.seek(700)
        fh.write(bytes([b[0] ^ 1]))
    proc = wb("bench", "import", str(copy), check=False)
    assert proc.returncode == 1 and "digest mismatch" in proc.stderr and proc.stderr.count("\n") == 1
    assert tags(f"worldbuilder/computer-{cid}") == [] and tags(f"worldbuilder/bench-{cid}") == []
    wb("bench", "import", str(arc))  # the intact archive imports
    assert len(tags(f"worldbuilder/computer-{cid}")) == 1
