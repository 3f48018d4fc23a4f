"""The import graph of surveys/, kiosk/ and sync_server/ has no cycle (function-level imports count)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("import_graph", ROOT / "scripts" / "import_graph.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["import_graph"] = module
    spec.loader.exec_module(module)
    return module


def test_no_import_cycle() -> None:
    script = _script()
    edges = script.graph(ROOT, ("surveys", "kiosk", "sync_server"))
    assert "sync_server.queries" in edges["sync_server.dashboard.routes.officers"]
    assert script.cycles(edges) == []


def test_a_cycle_through_a_function_level_import_is_found(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg.b import x\n")
    (pkg / "b.py").write_text("x = 1\n\ndef later():\n    from . import a\n")
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n")
    script = _script()
    edges = script.graph(tmp_path, ("pkg",))
    assert script.cycles(edges) == [["pkg.a", "pkg.b"]]
    assert edges["pkg.c"] == set()
