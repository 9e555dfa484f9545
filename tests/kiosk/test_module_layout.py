"""The kiosk's modules keep to their rooms: no private names imported across modules."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kiosk", "screens", "card", "contract")


def _private_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.relative_to(ROOT)}: {node.module}.{alias.name}")
    return found


def test_no_module_imports_another_modules_private_name() -> None:
    found = [
        hit
        for package in ("kiosk", "screens")
        for path in sorted((ROOT / package).rglob("*.py"))
        for hit in _private_imports(path)
    ]
    assert found == []


def test_no_flow_or_effects_module_is_over_the_size_limit() -> None:
    sizes = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for folder in ("kiosk/flow", "kiosk/effects")
        for path in (ROOT / folder).glob("*.py")
    }
    sizes["kiosk/service_client.py"] = len(
        (ROOT / "kiosk/service_client.py").read_text(encoding="utf-8").splitlines()
    )
    assert {name: n for name, n in sizes.items() if n > 600} == {}
