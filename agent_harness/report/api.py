"""``write_report``: the trajectory-analysis report of a judged run (report.md + self-contained report.html)."""

from __future__ import annotations

from pathlib import Path

from agent_harness.judge.model import JUDGEMENT_FILE, SCORES_FILE, Judgement, ScoreOverDays, read_judgement
from agent_harness.report.compose import OFFLINE_NOTE, TITLES, compose
from agent_harness.report.document import Report, to_html, to_markdown
from agent_harness.report.facts import compute_facts
from agent_harness.runlog import RunDirError, atomic_write
from worldbuilder.errors import WorldbuilderError

PLOTS_DIR = "report_plots"


def score_over_days(run_dir: Path, j: Judgement) -> list[tuple[int, float, float]]:
    """From ``score_over_days.json`` when it is there, else judged now (offline, in memory)."""
    p = Path(run_dir) / SCORES_FILE
    if p.is_file():
        try:
            sod = ScoreOverDays.model_validate_json(p.read_text())
            return [(d.day, d.points, d.judged_max) for d in sod.days if d.day <= j.day]
        except ValueError as exc:
            raise RunDirError(f"corrupt {p}: {str(exc).splitlines()[0]}") from exc
    from agent_harness.judge.api import judge_input
    from agent_harness.judge.rundata import RunView

    view = RunView(run_dir)
    out = []
    for d in range(1, j.day + 1):
        dj = judge_input(view.input(d))
        out.append((d, dj.total.points, dj.total.judged_max))
    return out


def load_judgement(run_dir: Path) -> Judgement:
    p = Path(run_dir) / JUDGEMENT_FILE
    if p.exists():
        return read_judgement(p)
    from agent_harness.judge.api import judge_run

    return judge_run(run_dir)


def build_report(run_dir: Path, writer: str = "offline", base_url: str | None = None) -> Report:
    from agent_harness.judge.rundata import open_run

    open_run(run_dir)
    j = load_judgement(run_dir)
    report = compose(compute_facts(run_dir, j, score_over_days(run_dir, j)))
    if writer == "offline":
        return report
    if not writer.startswith("openai:") or not writer.split(":", 1)[1]:
        raise WorldbuilderError(f"unknown writer {writer!r} (use offline or openai:MODEL)")
    from agent_harness.report.llm_writer import llm_narrative

    report, note = llm_narrative(report, writer.split(":", 1)[1], base_url)
    for s in report.sections:
        if s.title == TITLES[0]:
            s.blocks = [b if b != ("p", OFFLINE_NOTE) else ("p", note) for b in s.blocks]
            if ("p", note) not in s.blocks:
                s.blocks.insert(1, ("p", note))
    return report


def write_report(run_dir: Path, writer: str = "offline", base_url: str | None = None) -> Path:
    """Write ``report.md`` (plots in ``report_plots/``) and ``report.html`` (plots embedded); return the md path."""
    run_dir = Path(run_dir)
    report = build_report(run_dir, writer, base_url)
    plots = run_dir / PLOTS_DIR
    plots.mkdir(exist_ok=True)
    for img in report.images():
        tmp = plots / (img.name + ".tmp")
        tmp.write_bytes(img.png)
        tmp.replace(plots / img.name)
    atomic_write(run_dir / "report.html", to_html(report))
    md = run_dir / "report.md"
    atomic_write(md, to_markdown(report, PLOTS_DIR))
    return md
