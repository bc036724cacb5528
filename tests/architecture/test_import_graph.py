"""No import cycles in the library, counting imports inside functions too (a function-level import
hides a cycle from Python, not from a reader), and no Prefect in curation/."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _modules() -> dict[str, Path]:
    mods = {}
    for path in (ROOT / "curation").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        mods[name] = path
    return mods


def _imports(path: Path, mods: dict[str, Path]) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                # `from pkg import submodule` depends on the submodule, not on pkg's __init__
                found.add(sub if sub in mods else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return {m for m in found if m in mods}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    cycles, state = [], {}

    def visit(node: str, stack: list[str]) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return cycles


def test_no_import_cycles_in_the_library():
    mods = _modules()
    graph = {}
    for name, path in mods.items():
        graph[name] = _imports(path, mods) - {name}
    cycles = [c for c in _cycles(graph)
              # `pkg/__init__` importing its own submodules is the package assembling itself
              if not all(m == c[0] or m.startswith(c[0] + ".") for m in c)]
    assert cycles == [], "\n".join(" -> ".join(c) for c in cycles)


def test_the_library_never_imports_prefect():
    """curation/ is pure library; only the CLI (the application, `curate run --engine prefect`) may
    reach the flows."""
    for path in (ROOT / "curation").rglob("*.py"):
        if "cli" in path.relative_to(ROOT / "curation").parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            assert not any(n == "prefect" or n.startswith("prefect.") or n.startswith("flows") for n in names), path
