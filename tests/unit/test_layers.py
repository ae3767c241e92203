"""The package's shape: imports flow one way through the layers, and no import cycle exists
(imports inside functions count: they only hide a cycle, they do not remove it)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "retention_lib"
LAYERS = ["core", "data", "models", "analytics", "report", "delivery", "app"]


def module_of(path: Path) -> str:
    return ".".join(("retention_lib", *path.relative_to(PKG).with_suffix("").parts)).removesuffix(".__init__")


def _exists(module: str) -> bool:
    rel = Path(*module.split(".")[1:])
    return (PKG / rel).with_suffix(".py").exists() or (PKG / rel / "__init__.py").exists()


def import_graph() -> dict[str, set[str]]:
    """Each module of retention_lib and the modules of retention_lib it imports, anywhere in it."""
    graph = {}
    for path in PKG.rglob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                raise AssertionError(f"{path}: relative import; the package uses absolute imports")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("retention_lib"):
                for alias in node.names:
                    name = f"{node.module}.{alias.name}"
                    deps.add(name if _exists(name) else node.module)
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.startswith("retention_lib")}
        graph[module_of(path)] = deps
    return graph


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_every_module_is_in_a_layer():
    stray = [m for m in import_graph() if layer(m) is None and m not in ("retention_lib", "retention_lib.__main__")]
    assert stray == []


def test_no_module_imports_a_higher_layer():
    upward = sorted(f"{m} -> {d}" for m, deps in import_graph().items() for d in deps
                    if layer(m) is not None and layer(d) is not None and layer(d) > layer(m))
    assert upward == []


def test_no_import_cycles():
    graph = import_graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert cycles == []


def test_the_checks_see_a_planted_upward_import():
    """The graph would catch a core module importing analytics (the checks can fail)."""
    planted = PKG / "core" / "zz_planted_for_test.py"
    planted.write_text("from retention_lib.analytics import churn\n", encoding="utf-8")
    try:
        graph = import_graph()
        assert "retention_lib.analytics.churn" in graph["retention_lib.core.zz_planted_for_test"]
        assert layer("retention_lib.core.zz_planted_for_test") < layer("retention_lib.analytics.churn")
    finally:
        planted.unlink()


def test_no_module_is_longer_than_about_450_lines():
    long = {module_of(p): n for p in PKG.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > 470}
    assert long == {}


def test_the_package_imports_cleanly():
    """`python -m retention_lib` loads without an import error or a warning."""
    proc = subprocess.run([sys.executable, "-W", "error::DeprecationWarning:retention_lib", "-m", "retention_lib",
                           "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert "verify-models" in proc.stdout


def test_the_package_does_not_load_what_only_some_notebooks_use():
    """`import retention_lib` (every notebook's first line, and the CLI's) leaves scipy.stats (about half a
    second) and matplotlib to the code that uses them."""
    proc = subprocess.run([sys.executable, "-c", "import sys, retention_lib; "
                           "print(sorted(m for m in ('scipy.stats', 'matplotlib') if m in sys.modules))"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "[]", proc.stdout + proc.stderr
