"""Import structure: no cycles among worldbuilder/agent_harness modules, and no stage imports a later one.

Walks every module's imports with ``ast`` (top-level and function-level, absolute and relative) without
importing anything, so the check sees lazy imports too; imports under ``if TYPE_CHECKING:`` never run and are
skipped.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("worldbuilder", "agent_harness")
# (importer prefix, forbidden target prefix): lower stages never import the harness or the api facade
FORBIDDEN = [(f"worldbuilder.{stage}", target) for stage in ("materialize", "runtime")
             for target in ("agent_harness", "worldbuilder.api")]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}


def _is_type_checking(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:`` / ``if typing.TYPE_CHECKING:``: its body never runs."""
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING"
                                         or isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _children(node: ast.AST) -> list[ast.AST]:
    """Child nodes that can run: the body of an ``if TYPE_CHECKING:`` is left out (its ``else`` is kept)."""
    return list(node.orelse) if _is_type_checking(node) else list(ast.iter_child_nodes(node))


def _all_nodes(tree: ast.Module):
    """Every node that can execute, at import time or later (``ast.walk`` minus type-checking-only blocks)."""
    todo: list[ast.AST] = [tree]
    while todo:
        node = todo.pop()
        yield node
        todo.extend(_children(node))


def _top_level(tree: ast.Module):
    """Import nodes executed at import time (module body, also inside if/try), not inside functions."""
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If | ast.Try | ast.With | ast.ClassDef):
            todo.extend(_children(node))


def imports_of(name: str, path: Path, known: set[str], lazy: bool = True) -> set[str]:
    """The worldbuilder/agent_harness modules ``name`` imports (``from pkg import mod`` resolves to pkg.mod);
    ``lazy=False``: only the imports run when the module is imported (not those inside functions)."""
    is_pkg = path.name == "__init__.py"
    out: set[str] = set()
    tree = ast.parse(path.read_text(), str(path))
    for node in _all_nodes(tree) if lazy else _top_level(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = name.split(".") if is_pkg else name.split(".")[:-1]
                pkg = pkg[: len(pkg) - node.level + 1]
                base = ".".join(pkg + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        for t in targets:
            while t and t not in known:  # `import a.b.c` of a package: the deepest known module
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def graph(lazy: bool = True) -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {n: imports_of(n, p, known, lazy) for n, p in mods.items()}


def cycles(g: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(g.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(g):
        if v not in index:
            visit(v)
    return out


def test_the_walker_sees_lazy_and_relative_imports(tmp_path):
    g = graph()
    assert "worldbuilder.runtime.computer" in g["worldbuilder.runtime.provider"]
    assert "worldbuilder.runtime.docker_snapshots" in g["worldbuilder.runtime.provider_docker"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_the_walker_skips_type_checking_only_imports(tmp_path):
    src = tmp_path / "m.py"
    src.write_text("from typing import TYPE_CHECKING\nimport typing\nif TYPE_CHECKING:\n    import pkg.a\n"
                   "if typing.TYPE_CHECKING:\n    import pkg.b\nelse:\n    import pkg.c\n"
                   "def f():\n    if TYPE_CHECKING:\n        import pkg.d\n    import pkg.e\n")
    known = {"pkg.a", "pkg.b", "pkg.c", "pkg.d", "pkg.e", "m"}
    assert imports_of("m", src, known) == {"pkg.c", "pkg.e"}
    assert imports_of("m", src, known, lazy=False) == {"pkg.c"}


def test_no_import_cycles_at_import_time():
    found = cycles(graph(lazy=False))
    assert not found, "import cycles:\n" + "\n".join(" -> ".join(c) for c in found)


def test_no_cycles_through_lazy_imports():
    found = cycles(graph())
    assert not found, "import cycles (counting imports inside functions):\n" + "\n".join(" -> ".join(c) for c in found)


def test_no_upward_imports_from_materialize_and_runtime():
    bad = sorted(f"{m} imports {t}" for m, ts in graph().items() for t in ts
                 for src, dst in FORBIDDEN if m.startswith(src) and (t == dst or t.startswith(dst + ".")))
    assert not bad, "\n".join(bad)


def test_worldbuilder_imports_the_harness_only_from_cli_wiring():
    allowed = ("worldbuilder.cli",)
    bad = sorted(f"{m} imports {t}" for m, ts in graph().items() if m.startswith("worldbuilder.")
                 and not m.startswith(allowed) for t in ts if t.startswith("agent_harness"))
    assert not bad, "\n".join(bad)


def test_vm_code_does_not_import_docker_modules():
    vm_modules = [m for m in graph() if m.startswith(("worldbuilder.runtime.qemu", "worldbuilder.runtime.libvirt",
                                                       "worldbuilder.runtime.provider_qemu",
                                                       "worldbuilder.runtime.provider_libvirt",
                                                       "worldbuilder.runtime.vm_disks", "worldbuilder.materialize.vm"))]
    assert len(vm_modules) >= 6
    g = graph()
    bad = sorted(f"{m} imports {t}" for m in vm_modules for t in g[m] if "docker" in t.rsplit(".", 1)[-1])
    assert not bad, "\n".join(bad)
