"""The plugin contract: plugins import only ``qms.api`` of the core, the core imports no plugin, one plugin shape.

Read from the source with ``ast`` (not by importing), so a lazy import inside a function counts
as much as one at the top of a module.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import qms.api

ROOT = Path(__file__).resolve().parent.parent
PLUGINS = sorted(p for p in (ROOT / "plugins").iterdir() if p.is_dir() and p.name.startswith("qms_"))
EXAMPLE = ROOT / "tests" / "example_plugin" / "qms_training"
#: The files every procedure plugin has, with the same job in each (README, "Writing a procedure plugin").
SHAPE = ("__init__.py", "hooks.py", "workflow.py", "rules.py", "due.py", "figures.py", "layout.py", "cli.py", "demo.py")


def _where(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) of every import in ``path``, relative imports resolved to their package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    out: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                out.append((node.lineno, "<relative>"))
            elif node.module == "qms":
                out.extend((node.lineno, f"qms.{alias.name}") for alias in node.names)
            elif node.module:
                out.append((node.lineno, node.module))
    return out


def core_imports(package: Path) -> list[str]:
    """Every import of a ``qms`` module other than ``qms.api`` in a plugin package, as ``file:line module``."""
    bad = []
    for path in sorted(package.rglob("*.py")):
        for line, module in imports_of(path):
            if (module == "qms" or module.startswith("qms.")) and module != "qms.api":
                bad.append(f"{_where(path)}:{line} {module}")
    return bad


def store_uses(package: Path) -> list[str]:
    """Every ``something.store`` attribute a plugin reads: the store is not part of the API."""
    bad = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "store":
                bad.append(f"{_where(path)}:{node.lineno}")
    return bad


def test_the_example_plugin_is_where_the_readme_says() -> None:
    assert (EXAMPLE / "hooks.py").is_file() and (EXAMPLE / "forms" / "QR-7.2-01.yaml").is_file()


@pytest.mark.parametrize("package", [*PLUGINS, EXAMPLE], ids=lambda p: p.name)
def test_plugin_imports_nothing_of_the_core_but_qms_api(package: Path) -> None:
    assert core_imports(package) == []


@pytest.mark.parametrize("package", [*PLUGINS, EXAMPLE], ids=lambda p: p.name)
def test_plugin_never_touches_the_store(package: Path) -> None:
    assert store_uses(package) == []


#: Every shipped plugin and the example written from the README share one layout.
SHAPED = [*PLUGINS, EXAMPLE]


@pytest.mark.parametrize("package", SHAPED, ids=lambda p: p.name)
def test_every_plugin_has_the_same_shape(package: Path) -> None:
    missing = [name for name in SHAPE if not (package / name).is_file()]
    assert missing == []
    assert (package / "templates").is_dir() and any((package / "templates").glob("*.html.j2"))


def test_the_core_imports_no_plugin() -> None:
    bad = [f"{path.relative_to(ROOT)}:{line} {module}"
           for path in sorted((ROOT / "qms").rglob("*.py"))
           for line, module in imports_of(path) if module.split(".")[0].startswith("qms_")]
    assert bad == []


def test_the_contract_test_catches_a_core_import(tmp_path: Path) -> None:
    package = tmp_path / "qms_bad"
    package.mkdir()
    (package / "rules.py").write_text("from qms import records\nfrom qms.api import now\n"
                                      "def f(app):\n    return app.store\n", encoding="utf-8")
    assert len(core_imports(package)) == 1
    assert core_imports(package)[0].endswith(":1 qms.records")
    assert store_uses(package) and store_uses(package)[0].endswith(":4")


def test_every_public_name_resolves() -> None:
    for name in qms.api.__all__:
        assert getattr(qms.api, name) is not None, name


def test_importing_the_api_loads_neither_the_renderer_nor_the_validator() -> None:
    import subprocess
    import sys

    code = ("import sys, qms.api; print(sorted(m for m in ('weasyprint', 'jsonschema', 'markdown_it') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_each_entry_point_names_the_hooks_module_and_a_demo_function() -> None:
    from importlib.metadata import entry_points

    hooks = {ep.name: ep.value for ep in entry_points(group="qms")}
    demos = {ep.name: ep.value for ep in entry_points(group="qms.demo")}
    for package in PLUGINS:
        slug = package.name.removeprefix("qms_")
        assert hooks[slug] == f"{package.name}.hooks"
        assert demos[slug] == f"{package.name}.demo:steps"
        assert callable(getattr(importlib.import_module(f"{package.name}.demo"), "steps"))
