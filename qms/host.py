"""The plugin manager factory and the typed facade the rest of the core calls hooks through.

Nothing is loaded at import time: ``make_plugin_manager`` builds a fresh manager each time, so
tests get an isolated one and a broken plugin can be disabled by name.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pluggy

from qms import hookspecs
from qms.discovery import GROUP, disabled_from_env, plugin_entry_points
from qms.errors import PluginError
from qms.registry import Registry

if TYPE_CHECKING:
    from pathlib import Path  # annotations only: pathlib costs every start of `qms`

    import click
    from markdown_it import MarkdownIt

    from qms.dates import WorkCalendar

ENTRY_POINT_GROUP = GROUP
BUILTIN_PLUGINS: tuple[str, ...] = ("qms.builtin.commands", "qms.builtin.render")


@dataclass(frozen=True)
class PluginInfo:
    """What ``qms plugins`` shows for one loaded plugin."""

    name: str
    version: str
    module: str
    hooks: tuple[str, ...]
    builtin: bool


def make_plugin_manager(
    *,
    plugins: tuple[ModuleType | object, ...] = (),
    entrypoints: bool = True,
    blocked: tuple[str, ...] = (),
) -> pluggy.PluginManager:
    """Build a plugin manager: built-ins, then entry-point plugins, then ``plugins``; check hook names."""
    pm = pluggy.PluginManager("qms")
    pm.add_hookspecs(hookspecs)
    names_blocked = set(blocked) | set(disabled_from_env())
    for name in names_blocked:
        pm.set_blocked(name)
    versions: dict[str, str] = {}
    for dotted in BUILTIN_PLUGINS:
        if dotted not in names_blocked:
            pm.register(importlib.import_module(dotted), name=dotted)
    if entrypoints:
        # Found through the cached discovery: importlib.metadata costs every start tens of ms.
        for ep in plugin_entry_points():
            if ep.name in names_blocked or pm.get_plugin(ep.name) is not None:
                continue
            try:
                module = ep.load()
            except Exception as exc:  # any import failure of third-party code is a plugin error
                raise PluginError(
                    f"plugin {ep.name!r} ({ep.value}) failed to import: {type(exc).__name__}: {exc}; "
                    f"fix or uninstall it, or start with --disable-plugin {ep.name}"
                ) from exc
            _register(pm, module, ep.name)
            versions[ep.name] = ep.version
    for plugin in plugins:
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        _register(pm, plugin, name)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(f"plugin {exc.plugin!r} implements an unknown hook: {exc}") from exc
    pm.qms_versions = versions  # type: ignore[attr-defined]
    return pm


def _register(pm: pluggy.PluginManager, plugin: object, name: str) -> None:
    try:
        pm.register(plugin, name=name)
    except (ValueError, pluggy.PluginValidationError) as exc:
        raise PluginError(f"plugin {name!r} could not be registered: {exc}") from exc


class Host:
    """Typed calls into the plugins; the only place the core touches ``pm.hook``."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.pm = pm
        self._registry: Registry | None = None

    @property
    def registry(self) -> Registry:
        """Procedures, forms and workflows of every plugin, collected once and checked for duplicates."""
        if self._registry is None:
            registry = Registry()
            for hook in (
                self.pm.hook.qms_register_procedures,
                self.pm.hook.qms_register_forms,
                self.pm.hook.qms_register_workflows,
            ):
                # Call each implementation by hand so the registry knows which plugin registered what.
                for impl in hook.get_hookimpls():
                    registry.current_plugin = impl.plugin_name
                    try:
                        impl.function(registry=registry)
                    except PluginError:
                        raise
                    except Exception as exc:
                        raise PluginError(
                            f"plugin {impl.plugin_name!r} failed in {hook.name}: {type(exc).__name__}: {exc}"
                        ) from exc
            self._registry = registry
        return self._registry

    def plugins(self) -> list[PluginInfo]:
        """Every loaded plugin with its version and the hooks it implements."""
        versions: dict[str, str] = getattr(self.pm, "qms_versions", {})
        from qms import __version__

        infos = []
        for name, plugin in self.pm.list_name_plugin():
            if plugin is None:
                continue
            hooks = tuple(sorted(h.name for h in self.pm.get_hookcallers(plugin) or []))
            builtin = name in BUILTIN_PLUGINS
            infos.append(
                PluginInfo(
                    name=name,
                    version=__version__ if builtin else versions.get(name, getattr(plugin, "__version__", "?")),
                    module=getattr(plugin, "__name__", type(plugin).__name__),
                    hooks=hooks,
                    builtin=builtin,
                )
            )
        return sorted(infos, key=lambda i: (not i.builtin, i.name))

    def validate_record(self, form: str, data: dict[str, Any], record: dict[str, Any] | None,
                        query: hookspecs.RecordQuery | None = None) -> list[dict[str, str]]:
        """Every plugin's cross-field problems with this record (``query`` reads other records)."""
        return _flatten(self.pm.hook.qms_validate_record(form=form, data=data, record=record,
                                                         query=query or _no_records))

    def check_transition(self, record: dict[str, Any], target: str, actor: dict[str, Any],
                         query: hookspecs.RecordQuery | None = None) -> list[str]:
        """Every plugin's veto reasons against moving ``record`` to ``target`` (``query`` reads other records)."""
        return _flatten(self.pm.hook.qms_check_transition(record=record, target=target, actor=actor,
                                                          query=query or _no_records))

    def transition_signers(self, record: dict[str, Any], target: str) -> list[dict[str, list[str]]]:
        """Every plugin's post/department requirement on moving ``record`` to ``target``, checked for shape."""
        found = []
        # Each implementation answers one requirement (or None, which pluggy leaves out).
        for item in self.pm.hook.qms_transition_signers(record=record, target=target):
            if not isinstance(item, dict) or set(item) - {"posts", "depts"} or not all(
                    isinstance(v, (list, tuple)) and all(isinstance(x, str) for x in v) for v in item.values()):
                raise PluginError(f"qms_transition_signers must return {{'posts': [...], 'depts': [...]}} or None, "
                                  f"not {item!r}")
            found.append({"posts": list(item.get("posts", [])), "depts": list(item.get("depts", []))})
        return found

    def after_transition(self, record: dict[str, Any], source: str, actor: dict[str, Any],
                         query: hookspecs.RecordQuery | None = None) -> list[dict[str, Any]]:
        """Every plugin's effects after a transition (``query`` reads other records)."""
        return _flatten(self.pm.hook.qms_after_transition(record=record, source=source, actor=actor,
                                                          query=query or _no_records))

    def after_save(self, record: dict[str, Any], action: str, previous: dict[str, Any] | None,
                   actor: dict[str, Any], query: hookspecs.RecordQuery | None = None) -> list[dict[str, Any]]:
        """Every plugin's effects after a record was filed, updated or amended (``query`` reads other records)."""
        return _flatten(self.pm.hook.qms_after_save(record=record, action=action, previous=previous, actor=actor,
                                                    query=query or _no_records))

    def raise_nonconformity(self, raised: dict[str, Any], query: hookspecs.RecordQuery) -> dict[str, Any] | None:
        """The record that reports a nonconformity, from the plugin that files them (``None`` when none does)."""
        found = self.pm.hook.qms_raise_nonconformity(raised=raised, query=query)
        if found is None:
            return None
        filed = isinstance(found, dict) and isinstance(found.get("form"), str) and isinstance(found.get("data"), dict)
        known = isinstance(found, dict) and isinstance(found.get("existing"), str)
        if not (filed or known):
            raise PluginError(f"qms_raise_nonconformity returned {found!r}; expected {{'form', 'data'}}, "
                              f"{{'existing': NUMBER}} or None")
        return dict(found)

    def due_items(self, query: hookspecs.RecordQuery, now: datetime, calendar: WorkCalendar,
                  settings: dict[str, Any]) -> list[dict[str, Any]]:
        """Due items the plugins add."""
        return _flatten(self.pm.hook.qms_due_items(query=query, now=now, calendar=calendar, settings=settings))

    def check_reference(self, kind: str, ref: str, when: str,
                        query: hookspecs.RecordQuery | None = None) -> list[str]:
        """Reasons an object of another procedure may not be referenced (``query`` reads the records)."""
        return _flatten(self.pm.hook.qms_check_reference(kind=kind, ref=ref, when=when, query=query or _no_records))

    def reference_choices(self, kind: str, query: hookspecs.RecordQuery) -> list[dict[str, str]]:
        """The objects of ``kind`` the plugins offer for a form's search-select."""
        found = _flatten(self.pm.hook.qms_reference_choices(kind=kind, query=query))
        if not all(isinstance(c, dict) and "id" in c for c in found):
            raise PluginError(f"a plugin returned {found!r} from qms_reference_choices; expected {{'id', 'label'}} dicts")
        return [{"id": str(c["id"]), "label": str(c.get("label", ""))} for c in found]

    def web_pages(self) -> list[dict[str, str]]:
        """Every plugin's web workspace pages, checked for unique slugs."""
        pages = _flatten(self.pm.hook.qms_web_pages())
        slugs = [p.get("slug") if isinstance(p, dict) else None for p in pages]
        if not all(isinstance(s, str) and s for s in slugs) or len(set(slugs)) != len(slugs):
            raise PluginError(f"qms_web_pages returned {pages!r}; expected dicts with a unique slug each")
        return [{"slug": str(p["slug"]), "title": str(p.get("title", p["slug"])),
                 "title_en": str(p.get("title_en", p.get("title", p["slug"])))} for p in pages]

    def web_page(self, slug: str, query: hookspecs.RecordQuery, now: datetime, calendar: WorkCalendar,
                 settings: dict[str, Any]) -> dict[str, Any] | None:
        """The data of web page ``slug`` from the plugin that owns it."""
        page = self.pm.hook.qms_web_page(slug=slug, query=query, now=now, calendar=calendar, settings=settings)
        if page is not None and not (isinstance(page, dict) and isinstance(page.get("sections", []), list)):
            raise PluginError(f"qms_web_page({slug!r}) returned {page!r}; expected a dict with sections")
        return page

    def figures(self, query: hookspecs.RecordQuery, now: datetime, calendar: WorkCalendar,
                settings: dict[str, Any]) -> list[dict[str, Any]]:
        """Dashboard figures of every plugin."""
        return _flatten(self.pm.hook.qms_figures(query=query, now=now, calendar=calendar, settings=settings))

    def figures_by_plugin(self, query: hookspecs.RecordQuery, now: datetime, calendar: WorkCalendar,
                          settings: dict[str, Any]) -> list[dict[str, Any]]:
        """Each plugin's figures apart, with the procedures it registered: ``{"plugin", "procedures", "figures"}``.

        One plugin that fails gives ``{"plugin", "procedures", "figures": [], "error": TEXT}`` instead of
        failing the others, so a management review still shows what every other procedure measured.
        """
        owners = self.registry.owners
        out: list[dict[str, Any]] = []
        # Called implementation by implementation, in registration order (as the registry is built), so each
        # figure keeps its source.
        for impl in self.pm.hook.qms_figures.get_hookimpls():
            procedures = sorted(key for (kind, key), owner in owners.items()
                                if kind == "procedure" and owner == impl.plugin_name)
            wanted = {"query": query, "now": now, "calendar": calendar, "settings": settings}
            kwargs = {name: wanted[name] for name in impl.argnames}
            entry: dict[str, Any] = {"plugin": impl.plugin_name, "procedures": procedures, "figures": []}
            try:
                found = impl.function(**kwargs)
                if not isinstance(found, list) or not all(isinstance(f, dict) for f in found):
                    raise PluginError(f"qms_figures returned {type(found).__name__}; expected a list of dicts")
                entry["figures"] = found
            except Exception as exc:  # third-party code: name the failure, keep the other plugins' figures
                entry["error"] = f"{type(exc).__name__}: {exc}"
            out.append(entry)
        return out

    def check_workspace(self, root: Path, settings: dict[str, Any]) -> list[str]:
        """Every plugin's problems with its own data files in the workspace at ``root``."""
        problems = _flatten(self.pm.hook.qms_check_workspace(root=root, settings=settings))
        if not all(isinstance(p, str) for p in problems):
            raise PluginError(f"a plugin returned {problems!r} from qms_check_workspace; expected one-line strings")
        return problems

    def render_record_html(self, record: dict[str, Any], form: dict[str, Any]) -> str:
        """The record's HTML body from the first plugin that lays it out (the core's generic one last)."""
        html = self.pm.hook.qms_render_record_html(record=record, form=form)
        if not isinstance(html, str):
            raise PluginError(f"no renderer returned HTML for record {record.get('number')}")
        return html

    def markdown_setup(self, md: MarkdownIt) -> None:
        """Let plugins extend the procedure Markdown parser."""
        self.pm.hook.qms_markdown_setup(md=md)

    def extend_cli(self, group: click.Group) -> None:
        """Add every plugin's commands; a name taken twice is a plugin error."""
        from qms.cli.lazy import peek

        for impl in reversed(self.pm.hook.qms_register_commands.get_hookimpls()):
            before = set(group.commands)
            staging = type(group)(name=group.name)
            impl.function(cli=staging)
            for name in list(staging.commands):
                command = peek(staging.commands, name)  # a lazy command stays unimported
                if name in before:
                    raise PluginError(
                        f"plugin {impl.plugin_name!r} adds command {name!r} which already exists; "
                        f"rename it or start with --disable-plugin {impl.plugin_name}"
                    )
                group.add_command(command, name)


def _no_records(form: str | None = None, state: str | None = None, **fields: Any) -> list[dict[str, Any]]:
    """The query given to hooks when the caller has no store: it finds nothing."""
    return []


def _flatten(results: list[Any]) -> list[Any]:
    out: list[Any] = []
    for item in results:
        if item:
            out.extend(item)
    return out
