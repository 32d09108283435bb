"""Handlers are thin: they parse, call one domain function and render. They open no
database session and build no query themselves (ARCHITECTURE.md, issue 10)."""

from __future__ import annotations

import ast
from pathlib import Path

HANDLERS = Path(__file__).resolve().parent.parent / "handlers"


def _offences(path: Path) -> list[str]:
    found: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        func = node.func if isinstance(node, ast.Call) else None
        if isinstance(func, ast.Attribute) and func.attr == "session":  # services.db.session()
            found.append(f"{path.name}:{node.lineno} opens a database session")
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            found.append(f"{path.name}:{node.lineno} imports {node.module}")
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    found.append(f"{path.name}:{node.lineno} imports {alias.name}")
    return found


def test_handlers_open_no_database_sessions() -> None:
    offences = [o for path in sorted(HANDLERS.glob("*.py")) for o in _offences(path)]
    assert offences == []
