"""Start-up of the ``qms`` command: what ``qms --help`` imports, its lazy command table, cached plugin discovery."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from qms import discovery
from qms.cli import build, make_cli
from qms.cli.lazy import LazyCommand, peek
from qms.hookspecs import hookimpl
from qms.host import Host, make_plugin_manager

#: Modules a command imports when it runs, never when ``qms`` only starts or prints help.
HEAVY = ("weasyprint", "jsonschema", "jinja2", "markdown_it", "rich", "cryptography", "openpyxl", "yaml", "tinydb")

_PROBE = """
import sys
from qms.cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print("\\nIMPORTED " + " ".join(sorted(m for m in sys.modules if m.split(".")[0] in HEAVY or m == "importlib.metadata")),
      file=sys.stderr)
"""


def _env(cache: Path, extra_path: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QMS_")}
    env["QMS_CACHE_DIR"] = str(cache)
    if extra_path is not None:
        env["PYTHONPATH"] = str(extra_path)
    return env


def _heavy_imported(args: list[str], cache: Path) -> list[str]:
    probe = f"HEAVY = {HEAVY!r}\n{_PROBE}"
    result = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, env=_env(cache))
    assert "Traceback" not in result.stderr, result.stderr
    line = result.stderr.rsplit("IMPORTED", 1)[1]
    return line.split()


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["due", "--help"]], ids=" ".join)
def test_starting_qms_for_help_or_version_imports_no_heavy_module(args: list[str], tmp_path: Path) -> None:
    # Once filling the plugin discovery cache (which asks importlib.metadata), once reading it.
    assert [m for m in _heavy_imported(args, tmp_path) if m != "importlib.metadata"] == []
    assert _heavy_imported(args, tmp_path) == []


def test_the_heavy_module_probe_sees_an_import(tmp_path: Path) -> None:
    # The probe above must be able to fail: the record commands' module brings the form reader (YAML).
    assert "yaml" in _heavy_imported(["record", "--help"], tmp_path)
    assert "importlib.metadata" in _heavy_imported(["--help"], tmp_path / "empty-cache")


def _first_paragraph(command: click.Command) -> str:
    text = (command.short_help or command.help or "").split("\n\n")[0]
    return " ".join(word for word in text.split() if word != "\b")


def _example_plugin_cli() -> click.Group:
    """The CLI with the example plugin of the README (``tests/example_plugin``) and no other."""
    sys.path.insert(0, str(Path(__file__).resolve().parent / "example_plugin"))
    import qms_training.hooks

    return make_cli(Host(make_plugin_manager(plugins=(qms_training.hooks,), entrypoints=False)))


@pytest.mark.parametrize("installed", ["shipped plugins", "example plugin"])
def test_every_lazy_command_line_matches_the_real_command(installed: str) -> None:
    cli = build([]) if installed == "shipped plugins" else _example_plugin_cli()
    entries = {name: peek(cli.commands, name) for name in cli.commands}
    lazy = {name: entry for name, entry in entries.items() if isinstance(entry, LazyCommand)}
    plugins = {"complaints", "equipment", "projects", "property"} if installed == "shipped plugins" else {"training"}
    assert {"doc", "record", "due", "verify", *plugins} <= set(lazy)
    for name, placeholder in lazy.items():
        real = placeholder.load()
        assert real.name == name, f"{placeholder.target} is named {real.name!r}, listed as {name!r}"
        assert placeholder.help == _first_paragraph(real), f"the help line of {name!r} differs from its command's"
        assert not real.hidden and not real.deprecated


def test_qms_help_lists_every_command_as_the_real_commands_would() -> None:
    cli = build([])
    lazy_help = CliRunner().invoke(cli, ["--help"]).output
    assert any(isinstance(peek(cli.commands, name), LazyCommand) for name in cli.commands)
    for name in list(cli.commands):
        cli.commands[name]  # noqa: B018 - reading an entry imports the real command in its place
    assert not any(isinstance(peek(cli.commands, name), LazyCommand) for name in cli.commands)
    assert CliRunner().invoke(cli, ["--help"]).output == lazy_help


def test_a_lazy_command_runs_and_shows_its_full_help() -> None:
    result = CliRunner().invoke(build([]), ["due", "--help"])
    assert result.exit_code == 0
    assert "Working days follow the Chinese calendar" in result.output and "--dept" in result.output


def _distribution(site: Path, name: str) -> None:
    dist = site / f"qms_{name}-0.1.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: qms-{name}\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text(f"[qms]\n{name} = qms_{name}_mod\n")
    (site / f"qms_{name}_mod.py").write_text(textwrap.dedent("""
        from qms import hookimpl

        @hookimpl
        def qms_register_procedures(registry):
            pass
        """))


def _plugin_names(tmp_path: Path, site: Path, cache: Path | None = None) -> set[str]:
    result = subprocess.run([sys.executable, "-m", "qms", "plugins", "--json"], cwd=tmp_path, capture_output=True,
                            text=True, env=_env(cache or tmp_path / "cache", site))
    assert result.returncode == 0, result.stderr
    return {p["name"] for p in json.loads(result.stdout)}


def test_cached_plugin_discovery_sees_a_plugin_installed_or_removed_after_it(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    before = _plugin_names(tmp_path, site)
    assert "complaints" in before and "late" not in before
    assert list((tmp_path / "cache").glob("plugins-*.json")), "the discovery was not cached"
    _distribution(site, "late")
    assert "late" in _plugin_names(tmp_path, site)
    shutil.rmtree(site / "qms_late-0.1.dist-info")
    assert "late" not in _plugin_names(tmp_path, site)


def test_plugin_discovery_is_read_from_the_cache_while_nothing_changed(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_CACHE_DIR", str(tmp_path))
    scans: list[int] = []
    real_scan = discovery._scan

    def counting_scan() -> dict[str, Any]:
        scans.append(1)
        return real_scan()

    monkeypatch.setattr(discovery, "_scan", counting_scan)
    monkeypatch.setattr(discovery, "_memo", None)
    first = discovery.plugin_entry_points()
    monkeypatch.setattr(discovery, "_memo", None)  # as a new process: only the file remains
    assert discovery.plugin_entry_points() == first and discovery.qms_version()
    assert len(scans) == 1
    assert {"complaints", "equipment", "projects", "property"} <= {found.name for found in first}


def test_a_lazy_command_whose_module_fails_to_import_is_one_line_with_exit_code_3() -> None:
    class Broken:
        @hookimpl
        def qms_register_commands(self, cli: click.Group) -> None:
            cli.add_command(LazyCommand("broken", "qms_no_such_module.cli:broken", "A group that cannot be imported."))

    cli = make_cli(Host(make_plugin_manager(plugins=(Broken(),), entrypoints=False)))
    listed = CliRunner().invoke(cli, ["--help"])
    assert listed.exit_code == 0 and "A group that cannot be imported." in listed.output
    result = CliRunner().invoke(cli, ["broken", "--help"])
    assert result.exit_code == 3, result.output
    assert result.output.strip().splitlines() == [
        "Error: command 'broken' (qms_no_such_module.cli:broken) failed to import: ModuleNotFoundError: "
        "No module named 'qms_no_such_module'; fix or uninstall the plugin that adds it, or start with "
        "--disable-plugin NAME"]
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_a_cache_that_cannot_be_written_or_read_only_costs_the_slow_path(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would be")
    assert _plugin_names(tmp_path, tmp_path / "site", cache=blocked) >= {"complaints", "equipment"}
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    stem = os.path.basename(discovery.cache_file()).rsplit("-", 1)[0]  # the same interpreter as the subprocess
    for kind in ("script", "other"):
        (damaged / f"{stem}-{kind}.json").write_text("{not json")
    assert _plugin_names(tmp_path, tmp_path / "site", cache=damaged) >= {"complaints", "equipment"}
    assert json.loads((damaged / f"{stem}-other.json").read_text())["layouts"], "the damaged cache was not replaced"
