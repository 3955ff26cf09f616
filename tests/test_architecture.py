"""The package layout holds: no import cycles, the engine at the bottom, and docs/architecture.md names every
package. Imports are read from the source (lazy, function-level ones included), not from a running process."""
from __future__ import annotations

import ast
from pathlib import Path

from conftest import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "hooks" / "crypto_key_guard"
# what each bottom package may import of ours (besides itself)
LOWER = {"util": set(), "engine": {"util", "errors"}}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("crypto_key_guard"):
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.startswith("crypto_key_guard")]
            graph[name].update(t for t in targets if t in modules and t != name and t != "crypto_key_guard")
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        state[node] = 2
        stack.pop()
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def test_no_module_imports_one_of_its_importers() -> None:
    assert _cycle(_imports(_modules())) == []


def test_the_cycle_finder_finds_one() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_engine_and_util_import_nothing_above_them() -> None:
    graph = _imports(_modules())
    wrong = []
    for name, targets in graph.items():
        parts = name.split(".")
        if len(parts) < 2 or parts[1] not in LOWER:
            continue
        for target in targets:
            top = target.split(".")[1] if target.count(".") else target
            if top != parts[1] and top not in LOWER[parts[1]]:
                wrong.append(f"{name} -> {target}")
    assert wrong == []


def test_the_architecture_page_names_every_package() -> None:
    page = (PROJECT_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    packages = sorted({p.parent.relative_to(PACKAGE).as_posix() for p in PACKAGE.rglob("__init__.py")} - {"."})
    top = sorted({p.split("/")[0] for p in packages})
    assert [p for p in top if f"  {p}/" not in page] == []
    faces = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    assert [f for f in faces if f not in page] == []
