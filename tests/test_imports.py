"""Every module imports on its own, in a fresh interpreter.

A cycle between modules (``engine.kinds`` → contacts → the desktop tool set → ``engine.kinds``)
passes every test that happens to import the modules in a lucky order and still breaks
``python -m engine.toolrag``; only a clean interpreter per module shows it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _modules() -> list[str]:
    names = []
    for package in ("engine", "gui"):
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__main__":
                continue
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.fixture(scope="module")
def fresh_imports() -> dict[str, str]:
    """Every module imported in a child that has none of ours loaded (tests/fresh_imports.py):
    one interpreter loads the third-party packages once instead of ~60 interpreters each."""
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "fresh_imports.py"), *_modules()], cwd=ROOT,
                          capture_output=True, text=True, timeout=300,
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "OPENBLAS_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", _modules())
def test_module_imports_in_a_fresh_interpreter(module, fresh_imports):
    assert fresh_imports[module] == ""


def test_each_child_starts_with_none_of_our_modules(tmp_path):
    """The forked children see what a fresh interpreter sees: a module that only works when another
    of ours happened to be imported before it fails, and so do two modules importing names from
    each other."""
    pkg = tmp_path / "engine"
    pkg.mkdir()
    files = {"__init__.py": "", "first.py": "B = 2\n", "lucky.py": "import engine\nX = engine.first.B\n",
             "a.py": "import numpy\nfrom engine.b import B\nA = 1\n", "b.py": "from engine.a import A\nB = 2\n"}
    for name, text in files.items():
        (pkg / name).write_text(text)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "fresh_imports.py").write_text((ROOT / "tests" / "fresh_imports.py").read_text(encoding="utf-8"))
    (tmp_path / "gui").mkdir()
    done = subprocess.run([sys.executable, str(tmp_path / "tests" / "fresh_imports.py"),
                           "engine.first", "engine.lucky", "engine.a", "engine.b"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)
    reports = json.loads(done.stdout.strip().splitlines()[-1])
    assert reports["engine.first"] == "" and "AttributeError" in reports["engine.lucky"]
    assert "ImportError" in reports["engine.a"] and "ImportError" in reports["engine.b"]


def test_every_error_the_engine_defines_shares_one_base():
    import importlib
    import inspect

    from engine.errors import TinyAgentError

    errors = {}
    for module in _modules():
        if not module.startswith("engine"):
            continue
        mod = importlib.import_module(module)
        for name, obj in vars(mod).items():
            if inspect.isclass(obj) and issubclass(obj, Exception) and obj.__module__ == mod.__name__:
                errors[f"{module}.{name}"] = obj
    assert len(errors) >= 12
    outside = [name for name, cls in errors.items() if not issubclass(cls, TinyAgentError) and name != "engine.data.generator.Rejected"]
    assert outside == []


def test_the_engines_imports_run_downhill_with_no_cycle():
    """Every import between engine modules, deferred ones inside functions included: no two
    modules reach each other (agent↔runtime and kinds→plan→tools.spec→kinds were the last)."""
    import ast

    import networkx as nx

    names = {}
    for path in sorted((ROOT / "engine").rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = nx.DiGraph()
    for name, path in names.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            graph.add_edges_from((name, t) for t in targets
                                 if t in names and t != name and not name.startswith(t + "."))
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert graph.number_of_edges() > 150 and cycles == []


def test_only_the_llama_package_touches_llama_cpp():
    """The model seam: everything else asks ``engine.generation``'s typed requests, so an upgrade
    of the pinned llama-cpp-python, or a second runtime, touches one package."""
    import ast

    touching = set()
    for package in ("engine", "gui"):
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                           else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
                if any(m == "llama_cpp" or m.startswith("llama_cpp.") for m in modules):
                    touching.add(path.relative_to(ROOT).parent.as_posix())
    assert touching == {"engine/llama"}
