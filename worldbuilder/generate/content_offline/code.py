"""Code and machine files: py scripts that read the user's real data files, json/jsonl/toml, dotfiles."""

from __future__ import annotations

from datetime import timedelta

from worldbuilder.generate.base import FilePlan
from worldbuilder.generate.content_offline.prose import Writer
from worldbuilder.spec import Layout

DEPS = ("pandas>=2.1", "openpyxl>=3.1", "requests>=2.31", "python-dateutil>=2.8", "matplotlib>=3.8", "click>=8.1",
        "pydantic>=2.5", "tabulate>=0.9")


def home_expr(path: str, layout: Layout) -> str:
    """A Python expression for ``path`` as the user's own code would write it."""
    if layout.kind == "windows":
        if layout.profile_root and path.startswith(layout.profile_root + "/"):
            return f'Path.home() / "{path[len(layout.profile_root) + 1:]}"'
        drive, _, rest = path.partition("/")
        return f'Path(r"{drive}:/{rest}")'
    return f'Path.home() / "{path}"'


def py_text(w: Writer, data_files: list[FilePlan], layout: Layout) -> str:
    name = w.plan.path.rsplit("/", 1)[-1]
    data_files = _unique_consts(data_files)
    p = w.proj()
    doc = f'"""{p.code}: {w.term()} helpers for {p.name}."""\n\nfrom __future__ import annotations\n\n'
    if w.plan.kind == "code_init":
        return f'"""Tools for {p.name} ({p.code}), maintained by {w.profile.full_name}."""\n\n__version__ = "0.{w.rng.randint(1, 9)}.{w.rng.randint(0, 20)}"\n'
    paths = "\n".join(f"{_const(f)} = {home_expr(f.path, layout)}" for f in data_files)
    readers = {"csv": "read_csv", "xlsx": "read_xlsx", "json": "read_json", "jsonl": "read_jsonl"}
    calls = "\n".join(f"    rows += {readers[f.type]}({_const(f)})" for f in data_files if f.type in readers)
    facts = w.some_facts(2)
    targets = ",\n".join(f'    "{f.label}": {f.value!r}' for f in facts)
    if w.plan.kind == "code_test":
        base = (doc + "from pathlib import Path\n\nimport pytest\n\n" + paths + "\n\n\n"
                f"@pytest.mark.parametrize('path', [{', '.join(_const(f) for f in data_files)}])\n"
                "def test_data_file_exists(path: Path) -> None:\n    assert path.exists(), path\n")
        return base + helpers(w, (w.plan.target_bytes or 0) - len(base), test=True)
    body = (doc + "import csv\nimport json\nfrom pathlib import Path\n\n" + paths + "\n\n"
            + "# Reference values agreed with the team (keep in sync with the workbook).\nTARGETS = {\n" + targets + "\n}\n\n\n"
            + "def read_csv(path: Path) -> list[dict]:\n    with path.open(newline='') as fh:\n        return list(csv.DictReader(fh))\n\n\n"
            + "def read_json(path: Path) -> list[dict]:\n    data = json.loads(path.read_text())\n    return data.get('records', []) if isinstance(data, dict) else data\n\n\n"
            + "def read_jsonl(path: Path) -> list[dict]:\n    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]\n\n\n"
            + "def read_xlsx(path: Path) -> list[dict]:\n    from openpyxl import load_workbook\n\n    ws = load_workbook(path, data_only=True).active\n"
            + "    rows = list(ws.iter_rows(values_only=True))\n    return [dict(zip(rows[0], r)) for r in rows[1:]] if rows else []\n\n\n"
            + helpers(w, (w.plan.target_bytes or 0) - 2600)
            + f"def main() -> None:\n    rows: list[dict] = []\n{calls or '    pass'}\n"
            + f"    print(f'{name}: {{len(rows)}} rows loaded for {p.code}')\n\n\nif __name__ == '__main__':\n    main()\n")
    return body


HELPERS = (
    'def total_by_{name}(rows: list[dict], key: str = "{col}") -> dict[str, float]:\n'
    '    """{doc}"""\n    totals: dict[str, float] = {{}}\n    for row in rows:\n'
    '        label = str(row.get(key, ""))\n        totals[label] = totals.get(label, 0.0) + float(row.get("{num}") or 0)\n'
    '    return totals\n\n\n',
    'def filter_{name}(rows: list[dict], minimum: float = {k}) -> list[dict]:\n'
    '    """{doc}"""\n    return [r for r in rows if float(r.get("{num}") or 0) >= minimum]\n\n\n',
    'def latest_{name}(rows: list[dict], field: str = "{col}") -> dict | None:\n'
    '    """{doc}"""\n    dated = [r for r in rows if r.get("date")]\n'
    '    return max(dated, key=lambda r: (str(r["date"]), str(r.get(field, ""))), default=None)\n\n\n',
    'def count_{name}(rows: list[dict]) -> int:\n    """{doc}"""\n'
    '    return sum(1 for r in rows if str(r.get("{col}", "")).strip())\n\n\n',
)
TEST_HELPERS = (
    'def test_{name}_rows_have_{col}() -> None:\n    """{doc}"""\n'
    '    rows = [{{"{col}": "x", "{num}": {k}}}]\n    assert all(r["{col}"] for r in rows)\n\n\n',
    'def test_{name}_total_is_positive() -> None:\n    """{doc}"""\n'
    '    values = [{k}, {k2}]\n    assert sum(values) > 0\n\n\n',
)


def helpers(w: Writer, room: int, test: bool = False) -> str:
    """Small, distinct functions about this repository's topic until the file reaches its target size."""
    from worldbuilder.generate.fill import slug

    out: list[str] = []
    used: set[str] = set()
    while room > 150 and len(out) < 200:
        name = slug(f"{w.term()} {w.grammar.pick('nouns')}")[:40]
        if name in used:
            name = f"{name}_{len(out)}"
        used.add(name)
        tpl = w.rng.choice(TEST_HELPERS if test else HELPERS)
        text = tpl.format(name=name, col=w.rng.choice(("owner", "status", "category", "project", "item")),
                          num=w.rng.choice(("amount", "hours", "count", "score")), k=w.rng.randint(1, 50),
                          k2=w.rng.randint(1, 50), doc=w.grammar.sentence().replace('"', "'").replace("\\", "/"))
        out.append(text)
        room -= len(text)
    return "\n\n" + "".join(out) if out else ""


def _unique_consts(files: list[FilePlan]) -> list[FilePlan]:
    """Drop files whose constant name would clash with an earlier one (keeps scripts valid Python)."""
    seen: set[str] = set()
    out = []
    for f in files:
        if _const(f) not in seen:
            seen.add(_const(f))
            out.append(f)
    return out


def _const(f: FilePlan) -> str:
    stem = "".join(c if c.isalnum() else "_" for c in f.path.rsplit("/", 1)[-1].rsplit(".", 1)[0]).upper()
    name = f"{stem.strip('_') or 'DATA'}_{f.type.upper()}"[:40]
    return name if name[0].isalpha() else f"F_{name}"[:40]  # an identifier never starts with a digit


def json_data(w: Writer) -> dict:
    p = w.proj()
    if w.plan.kind in ("tool_settings", "settings_backup"):
        return {"theme": w.rng.choice(["dark", "light"]), "autosave": True, "font_size": w.rng.randint(11, 15),
                "user": w.profile.username, "recent_projects": [p.code for p in w.world.projects[:3]]}
    records = [{"id": f"{p.code}-{i + 1:03d}", "item": w.term(), "owner": w.person().name,
                "amount": round(w.rng.uniform(100, 20000), 2),
                "date": (w.when - timedelta(days=w.rng.randint(0, 90))).date().isoformat()}
               for i in range(max(5, min(20000, ((w.plan.target_bytes or 2000) - 600) // 130)))]
    return {"project": p.name, "code": p.code, "topic": w.topic, "description": w.grammar.sentence(),
            "exported_at": w.when.isoformat(), "exported_by": w.profile.email,
            "key_figures": [{"metric": f.label, "value": f.value, "display": f.display} for f in w.some_facts(3)],
            "records": records}


def jsonl_data(w: Writer) -> list[dict]:
    p = w.proj()
    t = w.when - timedelta(days=30)
    out = []
    for _ in range(max(12, min(50000, (w.plan.target_bytes or 3000) // 140))):
        t += timedelta(minutes=w.rng.randint(20, 2000))
        out.append({"ts": t.isoformat(), "project": p.code, "event": w.rng.choice(["load", "transform", "export", "check"]),
                    "rows": w.rng.randint(10, 5000), "status": w.rng.choice(["ok", "ok", "ok", "warn"]),
                    "user": w.profile.username})
    return out


def toml_data(w: Writer, data_files: list[FilePlan]) -> dict:
    p = w.proj()
    if w.plan.kind == "pyproject":
        name = w.plan.path.split("/")[-2]
        return {"project": {"name": name, "version": f"0.{w.rng.randint(1, 9)}.0", "requires-python": ">=3.10",
                            "authors": [{"name": w.profile.full_name, "email": w.profile.email}],
                            "dependencies": sorted(w.rng.sample(DEPS, 4))},
                "tool": {"ruff": {"line-length": w.rng.choice([100, 110, 120])}}}
    if w.plan.kind == "app_config":
        return {"project": {"code": p.code, "name": p.name, "owner": w.profile.email},
                "paths": {"inputs": [f.path.rsplit("/", 1)[-1] for f in data_files], "output_dir": "out"},
                "report": {"currency": "USD", "decimals": 2, "recipients": [w.person().email]}}
    return {"general": {"user": w.profile.username, "theme": w.rng.choice(["dark", "light"]), "autosave_minutes": 5},
            "editor": {"font": "Fira Code", "size": w.rng.randint(11, 15)}, "recent": {"projects": [p.code]}}


def dotfile_text(w: Writer) -> str:
    pr = w.profile
    if w.plan.kind == "bashrc":
        return ("# ~/.bashrc\n[ -z \"$PS1\" ] && return\nHISTSIZE=5000\nexport EDITOR=vim\n"
                f"export TZ={pr.timezone}\nalias ll='ls -alF'\nalias work='cd ~/{_work_hint(w)}'\n"
                "PS1='\\u@\\h:\\w\\$ '\n")
    if w.plan.kind == "gitconfig":
        return f"[user]\n\tname = {pr.full_name}\n\temail = {pr.email}\n[init]\n\tdefaultBranch = main\n[pull]\n\trebase = true\n"
    if w.plan.kind == "requirements":
        return "\n".join(sorted(w.rng.sample(DEPS, 4))) + "\n"
    return ""


def _work_hint(w: Writer) -> str:
    return "Documents"
