"""The shape stays: the engine (``corpus`` <- ``index``) never imports the application
(``bot``, ``feedback``), and no two modules import each other, directly or round a loop.

Read from the source with ``ast`` (nothing is imported, so no import side effects); imports
inside functions and under ``TYPE_CHECKING`` count too: a lazy arrow is still an arrow.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("corpus", "index", "bot", "feedback")
LAYER = {"corpus": 0, "index": 1, "bot": 2, "feedback": 2}
EDGE_LIBRARIES = ("slack_bolt", "slack_sdk", "starlette", "uvicorn", "jinja2", "typer", "click", "sqlite_utils",
                  "prometheus_client")
"""Libraries of the application's edges (Slack, the web, the CLI, the proposals database, metrics)."""


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def top_level_imports(path: Path) -> set[str]:
    """First components of every absolute import in ``path`` (``slack_bolt`` for ``slack_bolt.App``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            out.add(node.module.split(".")[0])
    return out


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules that ``name`` imports (resolved to the longest known module name)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            targets.add(prefix)
            targets.update(f"{prefix}.{alias.name}" for alias in node.names)
    resolved = set()
    for target in targets:
        parts = target.split(".")
        while parts and ".".join(parts) not in known:
            parts.pop()
        if parts and ".".join(parts) != name:
            resolved.add(".".join(parts))
    return resolved


def graph() -> dict[str, set[str]]:
    """Module -> project modules it imports. A package's ``__init__`` re-exporting its own
    submodules is its public face, not an arrow between modules, so those edges are left out."""
    mods = modules()
    known = set(mods)
    return {name: {t for t in imports_of(name, path, known) if not t.startswith(name + ".")}
            for name, path in mods.items()}


def test_the_walker_sees_imports():
    g = graph()
    assert "corpus.model" in g["corpus.parser"]          # the walker works: a known arrow is seen
    assert len(g) > 30


def test_no_arrow_points_up():
    up = sorted(f"{a} -> {b}" for a, targets in graph().items() for b in targets
                if LAYER[b.split(".")[0]] > LAYER[a.split(".")[0]])
    assert up == [], "the engine imports the application:\n" + "\n".join(up)


def test_the_engine_imports_no_edge_library():
    used = sorted(f"{name} -> {lib}" for name, path in modules().items() if LAYER[name.split(".")[0]] < 2
                  for lib in top_level_imports(path) if lib in EDGE_LIBRARIES)
    assert used == [], "the engine imports an application edge library:\n" + "\n".join(used)


def test_no_import_cycles():
    g = graph()
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []
    counter = [0]

    def visit(v: str) -> None:          # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in g.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(g):
        if v not in index:
            visit(v)
    assert cycles == [], "modules that import each other: " + "; ".join(" <-> ".join(c) for c in cycles)
