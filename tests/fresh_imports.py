"""Import each of our modules as a fresh interpreter would, at the cost of one interpreter.

Run as a script with module names as arguments: it imports the third-party packages our modules
import at their top level (numpy, PySide6, …: the slow part of starting ~60 interpreters), then
forks one child per module. A child starts with no ``engine`` or ``gui`` module loaded, so the
order in which ours import each other, and so any cycle between them, is exactly that of
``python -c "import engine.x"``; only the third-party packages are already there, and those
cannot hide a cycle of ours. It prints one JSON line: module → "" or the child's traceback.
"""

from __future__ import annotations

import ast
import importlib
import json
import os
import sys
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OURS = ("engine", "gui")


def top_level_imports(path: Path) -> set[str]:
    """The third-party modules ``path`` imports while it is being imported (function bodies excluded:
    a deferred import runs later, and preloading it would only cost time)."""
    found: set[str] = set()
    pending: list[ast.AST] = [ast.parse(path.read_text(encoding="utf-8"))]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        pending.extend(ast.iter_child_nodes(node))
    return {name for name in found if name.split(".")[0] not in OURS}


def preload() -> None:
    for package in OURS:
        for path in sorted((ROOT / package).rglob("*.py")):
            for name in sorted(top_level_imports(path)):
                try:
                    importlib.import_module(name)
                except Exception:  # noqa: BLE001 - the child meets the same failure and reports it
                    pass
    leaked = sorted(name for name in sys.modules if name.split(".")[0] in OURS)
    if leaked:
        raise SystemExit(f"preloading third-party packages imported our own modules: {leaked}")


def import_in_child(module: str) -> str:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            importlib.import_module(module)
            report = ""
        except BaseException:  # noqa: BLE001 - everything goes back to the parent
            report = traceback.format_exc() or "failed"
        with os.fdopen(write, "w", encoding="utf-8") as out:
            out.write(report)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, encoding="utf-8") as pipe:
        report = pipe.read()
    _, status = os.waitpid(pid, 0)
    if not report and status != 0:
        report = f"the child importing {module} ended with status {status}"
    return report


def main(modules: list[str]) -> None:
    sys.path.insert(0, str(ROOT))
    preload()
    print(json.dumps({module: import_in_child(module) for module in modules}))


if __name__ == "__main__":
    main(sys.argv[1:])
