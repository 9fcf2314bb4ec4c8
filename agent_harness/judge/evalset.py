"""The judge-evaluation set (tests/judge_eval): hand-made deliverables with expected per-item grades, and
the agreement of a judge with them (accuracy, macro-F1, Krippendorff's alpha across LLM samples)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from agent_harness.judge.api import judge_input, make_llm_judge
from agent_harness.judge.inputs import DeliverableInput, JudgeInput, OutputFile
from agent_harness.judge.model import Judgement
from agent_harness.models import MessageRecord, Objectives
from worldbuilder.errors import WorldbuilderError
from worldbuilder.spec import Fact

GAMING = ("copy_rubric", "dump_sources")


def default_set() -> Path:
    p = Path(__file__).resolve().parents[2] / "tests" / "judge_eval"
    if not p.is_dir():
        raise WorldbuilderError("no judge-evaluation set found (give --set DIR; it lives in tests/judge_eval)")
    return p


# --------------------------------------------------------------------------- building outputs


def docx_bytes(text: str) -> bytes:
    """A real docx from light markup: ``# H`` headings, ``| a | b |`` table rows, other lines paragraphs."""
    from docx import Document

    doc = Document()
    rows: list[list[str]] = []

    def flush() -> None:
        if rows:
            t = doc.add_table(rows=len(rows), cols=max(len(r) for r in rows))
            for i, r in enumerate(rows):
                for j, v in enumerate(r):
                    t.cell(i, j).text = v
            rows.clear()

    for line in text.splitlines():
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
            continue
        flush()
        if line.startswith("# "):
            doc.add_heading(line[2:].strip(), level=1)
        elif line.strip():
            doc.add_paragraph(line.strip())
    flush()
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def xlsx_bytes(sheets: dict[str, list[list[str]]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows or []:
            ws.append([str(v) for v in r])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def output_bytes(path: str, content: object) -> bytes:
    if path.endswith(".docx"):
        return docx_bytes(str(content or ""))
    if path.endswith(".xlsx"):
        return xlsx_bytes(content or {})  # type: ignore[arg-type]
    return str(content or "").encode()


# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    name: str
    inp: JudgeInput
    expected: dict[str, float]  # item id -> points
    fabrications: int | None = None


def load_set(root: Path) -> list[Case]:
    """The cases of a judge-evaluation set (setup.yaml, objectives.json, sources/, cases/*.yaml)."""
    root = Path(root)
    if not (root / "setup.yaml").is_file():
        raise WorldbuilderError(f"{root} is not a judge-evaluation set (no setup.yaml)")
    try:
        cases = _load_set(root)
    except (OSError, ValueError, LookupError, TypeError, AttributeError, yaml.YAMLError) as exc:
        raise WorldbuilderError(f"bad judge-evaluation set {root}: {type(exc).__name__}: "
                                f"{(str(exc).splitlines() or [''])[0][:200]}") from exc
    if not cases:
        raise WorldbuilderError(f"judge-evaluation set {root} has no cases (cases/*.yaml)")
    return cases


def _load_set(root: Path) -> list[Case]:
    setup = yaml.safe_load((root / "setup.yaml").read_text())
    objectives = Objectives.model_validate_json((root / "objectives.json").read_text())
    facts = {f["id"]: Fact.model_validate(f) for f in setup["facts"]}
    sources = {rel: (root / p).read_text() for rel, p in setup["sources"].items()}
    people = {k: tuple(v) for k, v in setup["people"].items()}
    cases = []
    for path in sorted((root / "cases").glob("*.yaml")):
        c = yaml.safe_load(path.read_text())
        d = objectives.deliverables[0]
        files = {p: OutputFile(p, None) for p in (o.path for o in d.outputs)}
        for p, content in (c.get("outputs") or {}).items():
            files[p] = OutputFile(p, output_bytes(p, content), "case")
        msgs = [MessageRecord(id=f"out{i}", day=m["day"], direction="from_user", sender="user", to=[m["to"]],
                              subject=m["subject"], body=m["body"]) for i, m in enumerate(c.get("messages") or [])]
        inp = JudgeInput(run=f"judge-eval:{path.stem}", day=setup["day"], objectives=objectives, facts=facts,
                         people=people, messages=msgs, turns=[],  # type: ignore[arg-type]
                         deliverables={d.id: DeliverableInput(d, files, sorted(c.get("submit_days") or []))},
                         sources=sources)
        expected = {f"{d.id}.{k}": float(v) for k, v in c["expected"].items()}
        cases.append(Case(path.stem, inp, expected, c.get("fabrications")))
    return cases


# --------------------------------------------------------------------------- agreement


def grade_class(points: float, max_points: float) -> str:
    return "zero" if points <= 0 else "full" if points >= max_points else "partial"


def macro_f1(pairs: list[tuple[str, str]]) -> float:
    classes = sorted({e for e, _ in pairs} | {g for _, g in pairs})
    f1s = []
    for k in classes:
        tp = sum(1 for e, g in pairs if e == k and g == k)
        fp = sum(1 for e, g in pairs if e != k and g == k)
        fn = sum(1 for e, g in pairs if e == k and g != k)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0)
    return sum(f1s) / len(f1s) if f1s else 1.0


def krippendorff_alpha(units: list[list[float]]) -> float | None:
    """Interval-metric alpha over units each rated by several coders (here: LLM samples)."""
    units = [u for u in units if len(u) >= 2]
    n = sum(len(u) for u in units)
    if n < 2:
        return None
    d_o = sum(sum((a - b) ** 2 for i, a in enumerate(u) for j, b in enumerate(u) if i != j) / (len(u) - 1)
              for u in units) / n
    values = [v for u in units for v in u]
    d_e = sum((a - b) ** 2 for i, a in enumerate(values) for j, b in enumerate(values) if i != j) / (n * (n - 1))
    if d_e == 0:
        return 1.0
    return 1 - d_o / d_e


@dataclass
class EvalResult:
    judge: str
    cases: dict[str, Judgement] = field(default_factory=dict)
    code: list[tuple[str, str, float, float, float]] = field(default_factory=list)  # case, item, exp, got, max
    llm: list[tuple[str, str, float, float, float]] = field(default_factory=list)
    unjudged: int = 0
    samples: list[list[float]] = field(default_factory=list)
    gaming: dict[str, float] = field(default_factory=dict)  # case -> share of points

    @staticmethod
    def _metrics(rows: list[tuple[str, str, float, float, float]]) -> tuple[float, float]:
        pairs = [(grade_class(e, m), grade_class(g, m)) for _, _, e, g, m in rows]
        acc = sum(1 for e, g in pairs if e == g) / len(pairs) if pairs else 1.0
        return acc, macro_f1(pairs)

    def code_metrics(self) -> tuple[float, float, int]:
        acc, f1 = self._metrics(self.code)
        return acc, f1, sum(1 for _, _, e, g, _ in self.code if e == g)

    def lines(self) -> list[str]:
        acc, f1, exact = self.code_metrics()
        out = [f"code judges: {len(self.code)} items, accuracy {acc:.3f}, macro-F1 {f1:.3f}, "
               f"exact points {exact}/{len(self.code)}"]
        for case, ident, e, g, _ in self.code:
            if e != g:
                out.append(f"  mismatch {case} {ident}: expected {e:g}, got {g:g}")
        if self.judge != "offline":
            lacc, lf1 = self._metrics(self.llm)
            alpha = krippendorff_alpha(self.samples)
            out.append(f"llm judge ({self.judge}): {len(self.llm)} items judged, {self.unjudged} unjudged, "
                       f"accuracy {lacc:.3f}, macro-F1 {lf1:.3f}, Krippendorff's alpha "
                       + (f"{alpha:.3f}" if alpha is not None else "n/a (needs --samples >= 2)"))
        else:
            out.append(f"llm judge: offline, {self.unjudged} free-text item(s) unjudged (use --judge openai:MODEL)")
        for case, share in self.gaming.items():
            out.append(f"gaming {case}: {share:.1%} of the points")
        for name, j in self.cases.items():
            out.append(f"  {name}: {j.total.points:g}/{j.total.max:g}, {len(j.fabrications)} fabrication(s)")
        return out

    def to_json(self) -> str:
        acc, f1, exact = self.code_metrics()
        return json.dumps({"judge": self.judge, "code": {"accuracy": acc, "macro_f1": f1, "exact": exact,
                                                          "items": len(self.code)}, "gaming": self.gaming})


def evaluate(root: Path, judge: str = "offline", samples: int = 1, base_url: str | None = None) -> EvalResult:
    res = EvalResult(judge)
    llm = make_llm_judge(judge, samples, base_url)
    for case in load_set(root):
        j = judge_input(case.inp, judge, samples, llm)
        res.cases[case.name] = j
        for d in j.deliverables:
            for it in d.items:
                row = (case.name, it.id, case.expected.get(it.id, 0.0), it.points, it.max)
                if it.kind != "judge":
                    res.code.append(row)
                elif it.status == "scored":
                    res.llm.append(row)
                    got = (j.meta.get("llm", {}).get("items", {}).get(it.id, {}) or {}).get("samples") or []
                    res.samples.append([float(v) for v in got if v is not None])
                else:
                    res.unjudged += 1
        if case.name in GAMING:
            res.gaming[case.name] = j.total.points / j.total.max if j.total.max else 0.0
    return res
