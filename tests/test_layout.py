"""The layout's rules, checked on the code itself: imports point down the stages and form no
cycle, modules and functions stay small, and every public class and function documents its
contract. docs/ARCHITECTURE.md describes the stages these ranks encode."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
KB = ROOT / "kb"

# A module may import modules of a lower rank, or of its own subpackage.
RANKS = {
    "kb.errors": 0,
    "kb.options": 1,
    "kb.config": 1,
    "kb.model": 2,
    "kb.faults": 2,
    "kb.atomic": 2,
    "kb.text": 3,
    "kb.ingest": 4,
    "kb.embed": 4,
    "kb.index": 5,
    "kb.build": 6,
    "kb.retrieval": 6,
    "kb.evaluation": 7,
    "kb.analytics": 7,
    "kb.render": 7,
    "kb.access": 7,
    "kb.testing": 8,
    "kb.curation": 8,  # eval gate, questions file, version preview: over build, retrieval, eval
    "kb.app": 9,
    "kb.service": 9,  # the HTTP service: a front end beside the app; only `kb serve` imports it
    "kb.cli_args": 9,  # the command line's argument parser (kb.cli runs the commands)
    "kb.cli": 10,  # the command line, over every front end (`kb serve` starts the service)
    "kb": 11,  # the package's public API (kb/__init__.py) re-exports every stage
    "kb.__main__": 11,
    "kb.resources": 0,
}
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60
MAX_ENTRY_LINES = 80


def modules() -> dict[str, Path]:
    found = {}
    for path in sorted(KB.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def stage(module: str) -> str:
    """The RANKS key owning `module` (longest prefix)."""
    parts = module.split(".")
    for n in range(len(parts), 0, -1):
        key = ".".join(parts[:n])
        if key in RANKS:
            return key
    raise AssertionError(f"{module} belongs to no stage in RANKS; add it")


def imports(module: str, path: Path, known: set[str]) -> set[str]:
    """kb modules imported by `module` (relative imports resolved; `from pkg import mod` counts
    as importing `pkg.mod`, not the package's __init__)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names = [f"{target}.{a.name}" for a in node.names]
            submodules = [n for n in names if n in known]
            out.update(submodules if len(submodules) == len(names) else [target, *submodules])
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("kb"))
    return out


def graph() -> dict[str, set[str]]:
    mods = modules()
    known = set(mods)
    return {m: {i for i in imports(m, p, known) if i in mods and i != m} for m, p in mods.items()}


def test_imports_point_down_the_stages():
    wrong = []
    for module, targets in graph().items():
        own = stage(module)
        for target in targets:
            other = stage(target)
            if other != own and RANKS[other] >= RANKS[own]:
                wrong.append(f"{module} imports {target} ({own} rank {RANKS[own]} -> {other})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    edges = graph()
    state: dict[str, int] = {}
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in edges[node]:
            if state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target) :], target]))
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in edges:
        if node not in state:
            visit(node, [node])
    assert not cycles, "\n".join(cycles)


def _functions(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


@pytest.mark.parametrize("path", [*sorted(KB.rglob("*.py")), ROOT / "app.py"], ids=str)
def test_modules_and_functions_are_small(path):
    text = path.read_text(encoding="utf-8")
    limit = MAX_ENTRY_LINES if path.name == "app.py" else MAX_MODULE_LINES
    assert text.count("\n") <= limit, f"{path} has {text.count(chr(10))} lines (limit {limit})"
    long = [
        f"{f.name} ({f.end_lineno - f.lineno + 1} lines)"
        for f in _functions(ast.parse(text))
        if f.end_lineno - f.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{path}: functions over {MAX_FUNCTION_LINES} lines: {long}"


def test_every_public_class_and_function_has_a_docstring():
    missing = []
    for module, path in modules().items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if ast.get_docstring(tree) is None:
            missing.append(f"{module} (module)")
        for node in tree.body:
            targets = [node]
            if isinstance(node, ast.ClassDef):
                targets += [
                    n
                    for n in node.body
                    if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)
                    and not n.name.startswith("_")
                ]
            for item in targets:
                is_def = isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                if is_def and not item.name.startswith("_") and ast.get_docstring(item) is None:
                    missing.append(f"{module}.{item.name} ({path.name}:{item.lineno})")
    assert not missing, f"{len(missing)} without a docstring:\n" + "\n".join(missing)


def test_the_architecture_tree_names_every_module():
    """docs/ARCHITECTURE.md opens with the package tree, one line per module: keep it true."""
    doc = (ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
    tree = doc[: doc.index("## Stages")]
    missing = []
    for path in sorted(KB.rglob("*.py")):
        if path.name == "__init__.py" or "resources" in path.parts:
            continue
        rel = path.relative_to(KB)
        folder = f"  {rel.parts[0]}/" if len(rel.parts) > 1 else None
        if f" {path.name} " not in tree or (folder and folder not in tree):
            missing.append(str(rel))
    assert not missing, f"add to the tree in docs/ARCHITECTURE.md: {missing}"
