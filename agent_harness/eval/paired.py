"""``eval paired``: skills mined from N training runs against the baseline on M test computers (Fig. 7).

Layout of ``OUT``::

    computers/train-00 ...       built-in personas 0..max(N)-1 (train), then the next M (test)
    train/train-00/              training run (judged)
    skills/n1 ...                skills mined from the first N training runs
    test/test-00/anchor/         day-00 snapshot of the test computer (objectives, collaborator state)
    test/test-00/baseline/       fork of anchor@day-00, no skills            (judged)
    test/test-00/skills-n1/      fork of anchor@day-00 with skills/n1 installed (judged)
    progress.jsonl               one line per started / finished / skipped step
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
        from agent_harness.skills.miners import make_miner

        check_backend("agent", self.agent, AGENTS)
        check_skills_path(self.skills_path)
        make_miner(self.miner, self.llm_base_url)  # an unknown miner fails here, before any work


def _check_out(out: Path) -> None:
    """``out`` is new, empty, or a paired evaluation (config.json): never a file or another folder."""
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / "config.json").is_file())):
        raise WorldbuilderError(f"--out {out} exists and is not a paired evaluation; give a new folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorldbuilderError(f"cannot create --out {out}: {exc.strerror or exc}") from exc


class Paired:
    def __init__(self, out: Path, cfg: PairedConfig, echo: Echo = print) -> None:
        cfg.check()
        self.out, self.cfg, self.echo = Path(out), cfg, echo
        _check_out(self.out)
        self._check_config()

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
        try:
            s = json.loads((run / "summary.json").read_text())
            return s.get("status") == "completed" and (run / "judgement.json").exists()
        except (OSError, ValueError):
            return False

    def _clear(self, run: Path) -> None:
        if run.exists():
            from agent_harness.housekeeping import remove_run

            remove_run(run, quiet=True)

    def _judge(self, run: Path) -> None:
        from agent_harness.judge import judge_run

        judge_run(run)

    def train_run(self, name: str, comp: Path) -> Path:
        from agent_harness.runs import SimOptions, new_run

        run = self.out / "train" / name
        if self._finished(run):
            self.log(f"train {name}", "skipped")
            return run
        self._clear(run)
        self.log(f"train {name}", "started")
        opts = SimOptions(days=self.cfg.days, turns_per_day=self.cfg.turns_per_day, agent=self.cfg.agent,
                          runtime=self.cfg.runtime, llm_base_url=self.cfg.llm_base_url)
        self._complete(new_run(comp, run, opts).run(), run)
        self.log(f"train {name}", "finished")
        return run

    def _complete(self, summary: Any, run: Path) -> None:
        if summary.status != "completed":
            raise WorldbuilderError(f"{run}: run {summary.status} ({summary.stop_reason})")
        self._judge(run)

    def skills(self, n: int, runs: list[Path]) -> Path:
        from agent_harness.skills.mine import mine_skills

        dest = self.out / "skills" / f"n{n}"
        if (dest / ".mined").exists():
            self.log(f"skills n{n}", "skipped")
            return dest
        self.log(f"skills n{n}", "started")
        mine_skills(runs[:n], dest, miner=self.cfg.miner, cap=self.cfg.max_skills, base_url=self.cfg.llm_base_url)
        (dest / ".mined").write_text(json.dumps([str(r) for r in runs[:n]]) + "\n")
        self.log(f"skills n{n}", "finished")
        return dest

    def anchor(self, name: str, comp: Path) -> Path:
        from agent_harness.runs import SimOptions, new_run

        run = self.out / "test" / name / "anchor"
        if (run / "anchor.done").exists():
            self.log(f"anchor {name}", "skipped")
            return run
        self._clear(run)
        self.log(f"anchor {name}", "started")
        opts = SimOptions(days=self.cfg.days, turns_per_day=self.cfg.turns_per_day, agent=self.cfg.agent,
                          runtime=self.cfg.runtime, llm_base_url=self.cfg.llm_base_url)
        sim = new_run(comp, run, opts)  # boots, delivers the kickoff, snapshots day 00
        if sim.computer is not None:
            sim.runtime.release(sim.computer)
        sim.turns.close()
        sim.messages.close()
        (run / "anchor.done").write_text("day-00\n")
        self.log(f"anchor {name}", "finished")
        return run

    def arm(self, name: str, arm: str, anchor: Path, skills: Path | None) -> Path:
        from agent_harness.runs import fork

        run = self.out / "test" / name / arm
        if self._finished(run):
            self.log(f"test {name} {arm}", "skipped")
            return run
        self._clear(run)
        self.log(f"test {name} {arm}", "started")
        over = {"skills": str(skills), "skills_path": self.cfg.skills_path} if skills else None
        self._complete(fork(f"{anchor}@day-00", run, overrides=over).run(), run)
        self.log(f"test {name} {arm}", "finished")
        return run

    # ------------------------------------------------------------------ all
    def run(self) -> dict[str, Any]:
        n_train = max(self.cfg.train)
        train_runs = []
        for i in range(n_train):
            name = f"train-{i:02d}"
            train_runs.append(self.train_run(name, self.computer(name, i)))
        skills = {n: self.skills(n, train_runs) for n in sorted(set(self.cfg.train))}
        tests: list[dict[str, Any]] = []
        for j in range(self.cfg.test):
            name = f"test-{j:02d}"
            anchor = self.anchor(name, self.computer(name, n_train + j))
            arms = {"baseline": self.arm(name, "baseline", anchor, None)}
            for n, sk in skills.items():
                arms[f"n{n}"] = self.arm(name, f"skills-n{n}", anchor, sk)
            tests.append({"computer": name, "anchor": str(anchor), "runs": {k: str(v) for k, v in arms.items()}})
        return self.summarise(train_runs, skills, tests)

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
