"""The plugin host: entry-point discovery, listing, disabling, and clear errors for broken plugins."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from qms import hookimpl, hookspecs
from qms.errors import PluginError
from qms.host import Host, make_plugin_manager
from qms.registry import FormBinding, Procedure, Registry

PROCEDURE_PLUGINS = {"complaints", "equipment", "projects", "property"}


def _qms(*args: str, cwd: Path, extra_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QMS_")}
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    return subprocess.run([sys.executable, "-m", "qms", *args], cwd=cwd, capture_output=True, text=True, env=env)


def _fake_distribution(root: Path, module_source: str, name: str = "broken") -> Path:
    """An installed-looking distribution with a ``qms`` entry point, found through sys.path."""
    dist = root / f"qms_{name}-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: qms-{name}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[qms]\n{name} = qms_{name}_mod\n")
    (root / f"qms_{name}_mod.py").write_text(textwrap.dedent(module_source))
    return root


def test_the_four_procedure_plugins_load_through_entry_points() -> None:
    host = Host(make_plugin_manager())
    names = {p.name for p in host.plugins() if not p.builtin}
    assert PROCEDURE_PLUGINS <= names
    assert {"QP-8.2-01", "QP-7.1-01", "QP-8.3-01", "QP-8.5-01"} <= set(host.registry.procedures)
    assert host.registry.owner("procedure", "QP-8.2-01") == "complaints"


def test_plugins_json_lists_name_version_and_hooks(tmp_path: Path) -> None:
    result = _qms("plugins", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    assert PROCEDURE_PLUGINS <= set(listed)
    assert listed["complaints"]["version"]
    assert "qms_register_procedures" in listed["complaints"]["hooks"]


def test_disable_plugin_starts_without_it(tmp_path: Path) -> None:
    result = _qms("--disable-plugin", "equipment", "plugins", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "equipment" not in {p["name"] for p in json.loads(result.stdout)}


def test_a_plugin_that_fails_to_import_is_named_with_exit_code_3(tmp_path: Path) -> None:
    site = _fake_distribution(tmp_path / "site", "raise ImportError('needs libfoo')\n")
    result = _qms("plugins", cwd=tmp_path, extra_path=site)
    assert result.returncode == 3
    assert "plugin 'broken'" in result.stderr and "needs libfoo" in result.stderr
    assert "Traceback" not in result.stderr
    disabled = _qms("--disable-plugin", "broken", "plugins", cwd=tmp_path, extra_path=site)
    assert disabled.returncode == 0, disabled.stderr


def test_a_plugin_registering_a_taken_procedure_is_named_with_exit_code_3(tmp_path: Path) -> None:
    site = _fake_distribution(tmp_path / "site", """
        from qms import hookimpl
        from qms.registry import Procedure

        @hookimpl
        def qms_register_procedures(registry):
            registry.add_procedure(Procedure("QP-8.2-01", "重复", "Duplicate", "品质部"))
        """, name="dup")
    result = _qms("plugins", cwd=tmp_path, extra_path=site)
    assert result.returncode == 3
    assert "'dup'" in result.stderr and "'complaints'" in result.stderr and "QP-8.2-01" in result.stderr


def test_a_misspelt_hook_is_caught_at_start_up() -> None:
    class Misspelt:
        @hookimpl
        def qms_register_procedure(self, registry: Registry) -> None:  # missing the final "s"
            pass

    with pytest.raises(PluginError, match="unknown hook"):
        make_plugin_manager(plugins=(Misspelt(),), entrypoints=False)


def test_a_command_name_taken_twice_is_a_plugin_error() -> None:
    import click

    class Clash:
        @hookimpl
        def qms_register_commands(self, cli: click.Group) -> None:
            cli.add_command(click.Command("verify"))

    host = Host(make_plugin_manager(plugins=(Clash(),), entrypoints=False))
    from qms.cli import make_cli

    with pytest.raises(PluginError, match="'verify' which already exists"):
        make_cli(host)


def test_duplicate_form_binding_names_both_plugins() -> None:
    class A:
        @hookimpl
        def qms_register_forms(self, registry: Registry) -> None:
            registry.add_form(FormBinding("QR-1-01", "QP-1-01"))

    class B(A):
        pass

    host = Host(make_plugin_manager(plugins=(A(), B()), entrypoints=False))
    with pytest.raises(PluginError, match="QR-1-01"):
        host.registry  # noqa: B018


def test_every_hookspec_is_documented_and_typed() -> None:
    specs = [(n, f) for n, f in inspect.getmembers(hookspecs, inspect.isfunction) if n.startswith("qms_")]
    assert len(specs) >= 9
    for name, func in specs:
        doc = inspect.getdoc(func) or ""
        assert "Calling rule" in doc, f"{name} does not state its calling rule"
        sig = inspect.signature(func)
        for param in sig.parameters.values():
            assert param.annotation is not inspect.Parameter.empty, f"{name}({param.name}) has no type"
            assert f":param {param.name}:" in doc, f"{name} does not document {param.name}"
        assert sig.return_annotation is not inspect.Signature.empty, f"{name} has no return type"


def test_registration_records_the_owner() -> None:
    class Mine:
        @hookimpl
        def qms_register_procedures(self, registry: Registry) -> None:
            registry.add_procedure(Procedure("QP-9.9-01", "测试程序", "Test", "品质部"))

    host = Host(make_plugin_manager(plugins=(Mine(),), entrypoints=False))
    assert host.registry.owner("procedure", "QP-9.9-01") == "Mine"


def test_demo_steps_come_from_the_plugins_in_order_and_leave_with_a_disabled_plugin() -> None:
    from qms.demo import demo_steps

    names = [step.__name__ for _, step in demo_steps(Host(make_plugin_manager()))]
    assert names == ["step_users", "step_documents", "step_forms", "step_complaints", "step_equipment",
                     "step_property", "step_projects", "step_audit", "step_ncr",
                     "step_review", "step_render", "step_site"]
    without = [step.__name__ for _, step in demo_steps(Host(make_plugin_manager(blocked=("equipment",))))]
    assert "step_equipment" not in without and "step_complaints" in without
