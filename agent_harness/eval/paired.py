"""``eval paired``: skills mined from N training runs against the baseline on M test computers (Fig. 7).

Layout of ``OUT``::

    computers/train-00 ...       built-in personas 0..max(N)-1 (train), then the next M (test)
    train/train-00/              training run (judged)
    skills/n1 ...                skills mined from the first N training runs
    test/test-00/anchor/         day-00 snapshot of the test computer (objectives, collaborator state)
    test/test-00/baseline/       fork of anchor@day-00, no skills            (judged)
    test/test-00/skills-n1/      fork of anchor@day-00 with skills/n1 installed (judged)
    progress.jsonl               one line per started / finished / skipped step
    fleet/train, skills, test    with ``--fleet``: one fleet per phase (``paired_fleet.py``)
    paired.json, paired.png

Every step is skipped when its result is complete (a judged completed run, a written skills folder, an anchor
with its day-00 snapshot); an incomplete step left by a kill is removed and redone. Baseline and with-skills
runs of one test computer start from the same snapshot with the same objectives and collaborator state: a
true pair.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent_harness.eval.stats import bootstrap_ci, outcome, sign_test
from worldbuilder.errors import WorldbuilderError
from worldbuilder.generate.pipeline import SIZES

Echo = Callable[[str], None]
MAX_COMPUTERS = 1000  # per side: each is a generated computer and a simulated run


@dataclass
class PairedConfig:
    train: list[int]  # the N values (rows)
    test: int  # M test computers
    agent: str = "offline-weak"
    days: int = 2
    turns_per_day: int = 60
    runtime: str = "local"
    size: str = "small"
    seed: int = 0
    tie_margin: float = 1.0  # |with skills - baseline| <= margin points is a tie
    miner: str = "offline"
    max_skills: int = 8
    skills_path: str = ".skills"
    llm_base_url: str | None = None

    def check(self) -> None:
        if not self.train or min(self.train) < 1 or max(self.train) > MAX_COMPUTERS:
            raise WorldbuilderError(f"--train-computers needs N values from 1 to {MAX_COMPUTERS} (e.g. 1,3)")
        if not 1 <= self.test <= MAX_COMPUTERS:
            raise WorldbuilderError(f"--test-computers must be from 1 to {MAX_COMPUTERS}")
        if not math.isfinite(self.tie_margin) or self.tie_margin < 0:
            raise WorldbuilderError(f"--tie-margin must be a number of at least 0 (got {self.tie_margin})")
        if self.size not in SIZES:
            raise WorldbuilderError(f"unknown --size {self.size!r} (use {', '.join(SIZES)})")
        if self.max_skills < 1:
            raise WorldbuilderError("--max-skills must be at least 1")
        from agent_harness.runs import AGENTS, check_backend
        from agent_harness.skills.install import check_skills_path
        from agent_harness.skills.miners import check_miner

        check_backend("agent", self.agent, AGENTS)  # before any computer is generated
        check_skills_path(self.skills_path)
        check_miner(self.miner)


def _check_out(out: Path) -> None:
    """``out`` is new, empty, or a paired evaluation (config.json): never a file or another folder."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "config.json").is_file())):
        raise WorldbuilderError(f"--out {out} exists and is not a paired evaluation; give a new folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorldbuilderError(f"cannot create --out {out}: {exc.strerror or exc}") from exc


class Paired:
    def __init__(self, out: Path, cfg: PairedConfig, echo: Echo = print, write_config: bool = True) -> None:
        cfg.check()
        self.out, self.cfg, self.echo = Path(out), cfg, echo
        _check_out(self.out)
        if write_config:
            self._check_config()

    @classmethod
    def attach(cls, out: Path, llm_base_url: str | None = None) -> Paired:
        """The evaluation in ``out`` as its ``config.json`` describes it (for a fleet worker; writes nothing)."""
        try:
            cfg = PairedConfig(**json.loads((Path(out) / "config.json").read_text()))
        except (OSError, ValueError, TypeError) as exc:
            raise WorldbuilderError(f"{out} holds no paired evaluation config ({exc})") from exc
        cfg.llm_base_url = llm_base_url
        return cls(out, cfg, echo=lambda s: None, write_config=False)

    def _check_config(self) -> None:
        f = self.out / "config.json"
        mine = {k: v for k, v in asdict(self.cfg).items() if k not in ("train", "test", "llm_base_url")}
        if f.exists():
            try:
                old = json.loads(f.read_text())
            except (OSError, ValueError) as exc:
                raise WorldbuilderError(f"{f} is unreadable ({exc}); use another --out") from exc
            if not isinstance(old, dict):
                raise WorldbuilderError(f"{f} is not a paired evaluation config; use another --out")
            if {k: old.get(k) for k in mine} != mine:
                raise WorldbuilderError(f"{self.out} holds a paired evaluation with other settings "
                                        f"({f}); use another --out")
        _atomic(f, json.dumps(asdict(self.cfg) | {"llm_base_url": None}, indent=1))

    def log(self, step: str, event: str, **kw: Any) -> None:
        rec = {"step": step, "event": event, "time": datetime.now(UTC).isoformat()} | kw
        with open(self.out / "progress.jsonl", "a", encoding="utf-8") as fh:
            fh.write(json.dumps(rec) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        if event != "skipped":
            self.echo(f"{event}: {step}")

    # ------------------------------------------------------------------ steps
    def computer(self, name: str, index: int) -> Path:
        from worldbuilder.api import generate
        from worldbuilder.personas import load_personas

        dest = self.out / "computers" / name
        if (dest / "spec.json").exists():
            return dest
        personas = load_personas()
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=dest.parent))
        shutil.rmtree(tmp)  # generate wants a fresh directory; renamed into place when complete
        self.log(f"computer {name}", "started")
        generate(personas[index % len(personas)], tmp, seed=self.cfg.seed, size=self.cfg.size)  # type: ignore[arg-type]
        os.replace(tmp, dest)
        self.log(f"computer {name}", "finished")
        return dest

    def _finished(self, run: Path) -> bool:
        return self._ran(run) and (run / "judgement.json").exists()

    def _clear(self, run: Path) -> None:
        if run.exists():
            from agent_harness.housekeeping import remove_run

            remove_run(run, quiet=True)

    def _judge(self, run: Path) -> None:
        from agent_harness.judge import judge_run

        judge_run(run)

    def _opts(self) -> Any:
        from agent_harness.runs import SimOptions

        return SimOptions(days=self.cfg.days, turns_per_day=self.cfg.turns_per_day, agent=self.cfg.agent,
                          runtime=self.cfg.runtime, llm_base_url=self.cfg.llm_base_url)

    def _ran(self, run: Path) -> bool:
        try:
            return json.loads((run / "summary.json").read_text()).get("status") == "completed"
        except (OSError, ValueError):
            return False

    def train_run(self, name: str, comp: Path, judge: bool = True) -> Path:
        """Run (and unless ``judge`` is false, judge) the training run of computer ``name``."""
        from agent_harness.runs import new_run

        run = self.train_dir(name)
        if self._finished(run) or (not judge and self._ran(run)):
            self.log(f"train {name}", "skipped")
            return run
        self._clear(run)
        self.log(f"train {name}", "started")
        self._complete(new_run(comp, run, self._opts()).run(), run, judge)
        self.log(f"train {name}", "finished")
        return run

    def _complete(self, summary: Any, run: Path, judge: bool) -> None:
        if summary.status != "completed":
            raise WorldbuilderError(f"{run}: run {summary.status} ({summary.stop_reason})")
        if judge:
            self._judge(run)

    def judge_step(self, run: Path, step: str) -> Path:
        """Judge a completed run unless it is judged already."""
        if self._finished(run):
            self.log(f"judge {step}", "skipped")
            return run
        if not self._ran(run):
            raise WorldbuilderError(f"{run}: no completed run to judge")
        self.log(f"judge {step}", "started")
        self._judge(run)
        self.log(f"judge {step}", "finished")
        return run

    def skills(self, n: int, runs: list[Path]) -> Path:
        from agent_harness.skills.mine import mine_skills

        dest = self.skills_dir(n)
        if (dest / ".mined").exists():
            self.log(f"skills n{n}", "skipped")
            return dest
        self.log(f"skills n{n}", "started")
        mine_skills(runs[:n], dest, miner=self.cfg.miner, cap=self.cfg.max_skills, base_url=self.cfg.llm_base_url)
        (dest / ".mined").write_text(json.dumps([str(r) for r in runs[:n]]) + "\n")
        self.log(f"skills n{n}", "finished")
        return dest

    def anchor(self, name: str, comp: Path) -> Path:
        from agent_harness.runs import new_run

        run = self.anchor_dir(name)
        if (run / "anchor.done").exists():
            self.log(f"anchor {name}", "skipped")
            return run
        self._clear(run)
        self.log(f"anchor {name}", "started")
        sim = new_run(comp, run, self._opts())  # boots, delivers the kickoff, snapshots day 00
        if sim.computer is not None:
            sim.runtime.release(sim.computer)
        sim.turns.close()
        sim.messages.close()
        (run / "anchor.done").write_text("day-00\n")
        self.log(f"anchor {name}", "finished")
        return run

    def arm(self, name: str, arm: str, anchor: Path, skills: Path | None, judge: bool = True) -> Path:
        """Fork ``anchor@day-00`` (with ``skills`` installed, if any), run it and unless told not to judge it."""
        from agent_harness.runs import fork

        run = self.arm_dir(name, arm)
        if self._finished(run) or (not judge and self._ran(run)):
            self.log(f"test {name} {arm}", "skipped")
            return run
        self._clear(run)
        self.log(f"test {name} {arm}", "started")
        over = {"skills": str(skills), "skills_path": self.cfg.skills_path} if skills else None
        self._complete(fork(f"{anchor}@day-00", run, overrides=over).run(), run, judge)
        self.log(f"test {name} {arm}", "finished")
        return run

    # ------------------------------------------------------------------ layout
    def train_names(self) -> list[str]:
        return [f"train-{i:02d}" for i in range(max(self.cfg.train))]

    def test_names(self) -> list[str]:
        return [f"test-{j:02d}" for j in range(self.cfg.test)]

    def rows(self) -> list[int]:
        return sorted(set(self.cfg.train))

    def arms(self) -> dict[str, str]:
        """Result key -> arm folder: the baseline, then one with-skills arm per N."""
        return {"baseline": "baseline"} | {f"n{n}": f"skills-n{n}" for n in self.rows()}

    def train_dir(self, name: str) -> Path:
        return self.out / "train" / name

    def skills_dir(self, n: int) -> Path:
        return self.out / "skills" / f"n{n}"

    def anchor_dir(self, name: str) -> Path:
        return self.out / "test" / name / "anchor"

    def arm_dir(self, name: str, arm: str) -> Path:
        return self.out / "test" / name / arm

    # ------------------------------------------------------------------ all
    def run(self) -> dict[str, Any]:
        """Every step one after another in this process (``paired_fleet.run_on_fleet``: as fleet jobs)."""
        train_runs = [self.train_run(name, self.computer(name, i)) for i, name in enumerate(self.train_names())]
        skills = {n: self.skills(n, train_runs) for n in self.rows()}
        for j, name in enumerate(self.test_names()):
            anchor = self.anchor(name, self.computer(name, len(train_runs) + j))
            for key, arm in self.arms().items():
                self.arm(name, arm, anchor, skills.get(int(key[1:])) if key != "baseline" else None)
        return self.summarise(*self.collect())

    def collect(self) -> tuple[list[Path], dict[int, Path], list[dict[str, Any]]]:
        """The finished steps' paths: training runs, skills per N, and per test computer its anchor and runs."""
        tests = [{"computer": name, "anchor": str(self.anchor_dir(name)),
                  "runs": {k: str(self.arm_dir(name, arm)) for k, arm in self.arms().items()}}
                 for name in self.test_names()]
        return ([self.train_dir(n) for n in self.train_names()], {n: self.skills_dir(n) for n in self.rows()},
                tests)

    def summarise(self, train_runs: list[Path], skills: dict[int, Path], tests: list[dict[str, Any]]) -> dict:
        from agent_harness.eval.plot import write_plot
        from agent_harness.judge import read_judgement

        def total(run: str) -> float:
            return read_judgement(Path(run)).total.points

        rows = []
        for t in tests:
            t["scores"] = {k: total(v) for k, v in t["runs"].items()}
        for n in sorted(skills):
            res = [outcome(t["scores"][f"n{n}"], t["scores"]["baseline"], self.cfg.tie_margin) for t in tests]
            for t, r in zip(tests, res, strict=True):
                t.setdefault("outcome", {})[f"n{n}"] = r
            w, ti, lo = (res.count(k) for k in ("win", "tie", "lose"))
            diffs = [t["scores"][f"n{n}"] - t["scores"]["baseline"] for t in tests]
            rows.append({"n": n, "pairs": len(res), "win": w, "tie": ti, "lose": lo, "win_share": w / len(res),
                         "tie_share": ti / len(res), "lose_share": lo / len(res), "sign_test_p": round(sign_test(w, lo), 4),
                         "mean_diff": round(sum(diffs) / len(diffs), 3), "mean_diff_ci95": bootstrap_ci(diffs),
                         "skills": str(skills[n])})
        png = write_plot(rows, self.out / "paired.png")
        doc = {"config": asdict(self.cfg) | {"llm_base_url": None}, "tie_margin_points": self.cfg.tie_margin,
               "rows": rows, "train_runs": [str(r) for r in train_runs], "tests": tests, "plot": str(png)}
        _atomic(self.out / "paired.json", json.dumps(doc, indent=1))
        return doc


def table(doc: dict[str, Any]) -> str:
    lines = ["   N  pairs   win    tie    lose   sign-test p   mean diff [95% CI]"]
    for r in doc["rows"]:
        lo, hi = r["mean_diff_ci95"]
        lines.append(f"{r['n']:>4}  {r['pairs']:>5}  {r['win_share']:>5.0%}  {r['tie_share']:>5.0%}  "
                     f"{r['lose_share']:>5.0%}  {r['sign_test_p']:>11.3f}   {r['mean_diff']:+.1f} [{lo:+.1f}, {hi:+.1f}]")
    return "\n".join(lines)


def _atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp, path)
