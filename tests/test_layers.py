"""Data flows one way, edge -> domain -> store: the domain, the store, the runtime and the protocol
never import the app, the REST routes, the Socket.IO edge or the transport (docs/architecture.md).
A domain service reaches people through ``server.protocol.notifier.Notifier``, never Socket.IO."""

from __future__ import annotations

import ast
from pathlib import Path

SERVER = Path(__file__).resolve().parent.parent / "server"
LOWER = ["domain", "store", "runtime", "protocol", "queue.py", "timer.py"]
UPPER = ("server.app", "server.rest", "server.signaling", "server.transport")


def imported(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports (at the top or inside a function), with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: relative import"
            found += [(node.lineno, node.module)]
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def lower_modules() -> list[Path]:
    paths: list[Path] = []
    for name in LOWER:
        where = SERVER / name
        paths += sorted(where.rglob("*.py")) if where.is_dir() else [where]
    return paths


def test_the_domain_store_runtime_and_protocol_never_import_the_edge() -> None:
    modules = lower_modules()
    assert len(modules) > 40  # the walk found the packages
    upward = [
        f"{path.relative_to(SERVER.parent)}:{line} imports {name}"
        for path in modules
        for line, name in imported(path)
        if any(name == up or name.startswith(up + ".") for up in UPPER)
    ]
    assert upward == []


def test_the_store_never_imports_the_domain() -> None:
    domain = ("server.domain", "server.queue", "server.timer")
    upward = [
        f"{path.relative_to(SERVER.parent)}:{line} imports {name}"
        for path in sorted((SERVER / "store").rglob("*.py"))
        for line, name in imported(path)
        if any(name == d or name.startswith(d + ".") for d in domain)
    ]
    assert upward == []
