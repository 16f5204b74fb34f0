"""The public plugin API: the one module of ``qms`` a procedure plugin imports.

Everything a procedure needs is here, by name, and nothing else of the core is part of the
contract: a plugin that imports ``qms.records`` or opens the store breaks the import contract test
(``tests/test_plugin_api.py``) and may break with any change of the core.

What it holds:

* **hooks and registration**: ``hookimpl``; ``Registry``, ``Procedure``, ``FormBinding``,
  ``Workflow``, ``State``, ``Transition``, ``Deadline``; the ``RecordQuery`` hooks receive;
* **records**: ``get_record``, ``find_records`` (by form, state and top-level fields),
  ``file_record``, ``update_record``, ``move_record``, ``attach_file``, ``record_query`` and
  ``transaction`` (several services as one unit of work; the core owns the store and its lock);
  ``referencing`` (records of other procedures that name an object); ``nonconformity_reports``
  (the nonconformity reports a record's ``nonconformity`` effects opened, by source ref);
* **forms**: ``current_form``, ``load_form``, ``field_label``;
* **documents**: ``clause_map`` (each ISO 9001 clause calling for documented information, its
  bilingual label and the numbers of the documents in force citing it: what an internal audit's
  checklist is drawn from); ``documents_citing`` (the documents in force citing each of some clauses,
  or a clause under or above it);
* **time**: ``now``, ``stamp``, ``frozen_at``, ``set_now`` (the clock) and the date module:
  ``parse_date``, ``parse_time``, ``require_date``, ``require_time``, ``end_of_day``, ``end_of``,
  ``add_months``, ``show_date``, ``show_time``, ``hours_between``, ``WorkCalendar``, ``Limit``,
  ``parse_limit``;
* **rendering**: ``templates`` (a plugin's Jinja2 templates over the core's base templates and
  macros), ``generic_record_html``, ``Page``, ``report_page``, ``render_pdf``, ``write_pdf``,
  ``target_file``, ``organisation``, ``Job``, ``render_all``, ``default_out``, ``signer_title`` (what
  a signature block prints beside a name: the signer's post, else the role's display name),
  ``with_chain_head`` (a page to be rendered with the audit log's signed chain head, as every PDF is);
* **settings**: ``settings`` (the workspace's ``qms.toml`` as plain data);
* **figures of other procedures**: ``figures_by_plugin(app, now)`` (every plugin's ``qms_figures``
  at ``now`` over the records filed by then, each with the plugin and procedures it came from, one
  failing plugin named rather than failing the rest: what a management review gathers as its
  inputs), ``figure_series`` and
  ``figure_table`` (a figure's bars or table read from any shape the dashboard accepts);
* **command line**: ``QMSGroup``, ``pass_app``, ``json_option``, ``echo_json``, ``echo_table``,
  ``password_option``, ``read_password``, ``parse_sets``, ``read_data``; ``LazyCommand`` (a command
  ``qms --help`` lists from its one-line help, imported only when it runs or its help is shown);
* **demonstration**: ``DemoContext``, ``DemoStep``, ``DEMO_PASSWORD``, ``DEMO_USERS``;
* **errors**: ``QMSError``, ``UsageError``, ``NotFound``, ``Refused``, ``ValidationFailed``,
  ``ConfigError``, ``PluginError``; and ``App``, the opened workspace a command runs against.

Names are resolved on first use (PEP 562), so importing this module costs nothing until a plugin
calls the renderer or the validator: ``qms --help`` stays fast with every plugin loaded.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qms.app import App as App
    from qms.cli import QMSGroup as QMSGroup
    from qms.cli import echo_json as echo_json
    from qms.cli import json_option as json_option
    from qms.cli import pass_app as pass_app
    from qms.cli import password_option as password_option
    from qms.cli.lazy import LazyCommand as LazyCommand
    from qms.cli import read_password as read_password
    from qms.cli.record import parse_sets as parse_sets
    from qms.datafile import read_data as read_data
    from qms.cli.table import echo_table as echo_table
    from qms.clauses import clause_map as clause_map
    from qms.clauses import documents_citing as documents_citing
    from qms.clock import frozen_at as frozen_at
    from qms.clock import now as now
    from qms.clock import set_now as set_now
    from qms.clock import stamp as stamp
    from qms.dates import Limit as Limit
    from qms.dates import WorkCalendar as WorkCalendar
    from qms.dates import add_months as add_months
    from qms.dates import end_of as end_of
    from qms.dates import end_of_day as end_of_day
    from qms.dates import hours_between as hours_between
    from qms.dates import parse_date as parse_date
    from qms.dates import parse_limit as parse_limit
    from qms.dates import parse_time as parse_time
    from qms.dates import require_date as require_date
    from qms.dates import require_time as require_time
    from qms.dates import show_date as show_date
    from qms.dates import show_time as show_time
    from qms.demo_context import DEMO_PASSWORD as DEMO_PASSWORD
    from qms.demo_context import DEMO_USERS as DEMO_USERS
    from qms.demo_context import DemoContext as DemoContext
    from qms.demo_context import DemoStep as DemoStep
    from qms.errors import ConfigError as ConfigError
    from qms.errors import NotFound as NotFound
    from qms.errors import PluginError as PluginError
    from qms.errors import QMSError as QMSError
    from qms.errors import Refused as Refused
    from qms.errors import UsageError as UsageError
    from qms.errors import ValidationFailed as ValidationFailed
    from qms.forms import current_form as current_form
    from qms.forms import label as field_label
    from qms.forms import load_form as load_form
    from qms.hookspecs import RecordQuery as RecordQuery
    from qms.hookspecs import hookimpl as hookimpl
    from qms.recordlayout import generic_record_html as generic_record_html
    from qms.recordquery import record_query as record_query
    from qms.records import attach as attach_file
    from qms.records import file as file_record
    from qms.records import find as find_records
    from qms.records import get as get_record
    from qms.records import move as move_record
    from qms.records import nonconformity_reports as nonconformity_reports
    from qms.records import transaction as transaction
    from qms.records import update as update_record
    from qms.references import referencing as referencing
    from qms.registry import Deadline as Deadline
    from qms.registry import FormBinding as FormBinding
    from qms.registry import Procedure as Procedure
    from qms.registry import Registry as Registry
    from qms.registry import State as State
    from qms.registry import Transition as Transition
    from qms.registry import Workflow as Workflow
    from qms.render.batch import Job as Job
    from qms.render.batch import default_out as default_out
    from qms.render.batch import render_all as render_all
    from qms.render.output import target_file as target_file
    from qms.render.output import write_pdf as write_pdf
    from qms.render.page import Page as Page
    from qms.render.page import with_chain_head as with_chain_head
    from qms.render.pdf import render_pdf as render_pdf
    from qms.render.report import report_page as report_page
    from qms.render.sources import organisation as organisation
    from qms.render.templates import templates as templates
    from qms.users import signer_title as signer_title
    from qms.app import settings as settings
    from qms.figures import by_plugin as figures_by_plugin
    from qms.figures import series as figure_series
    from qms.figures import table as figure_table

#: Public name → ``module:attribute`` in the core. The table is the contract; the modules behind
#: it may be rearranged freely as long as every name keeps its meaning.
_EXPORTS: dict[str, str] = {
    # hooks and registration
    "hookimpl": "qms.hookspecs:hookimpl",
    "RecordQuery": "qms.hookspecs:RecordQuery",
    "Registry": "qms.registry:Registry",
    "Procedure": "qms.registry:Procedure",
    "FormBinding": "qms.registry:FormBinding",
    "Workflow": "qms.registry:Workflow",
    "State": "qms.registry:State",
    "Transition": "qms.registry:Transition",
    "Deadline": "qms.registry:Deadline",
    # records
    "App": "qms.app:App",
    "get_record": "qms.records:get",
    "find_records": "qms.records:find",
    "file_record": "qms.records:file",
    "update_record": "qms.records:update",
    "move_record": "qms.records:move",
    "nonconformity_reports": "qms.records:nonconformity_reports",
    "attach_file": "qms.records:attach",
    "transaction": "qms.records:transaction",
    "record_query": "qms.recordquery:record_query",
    "referencing": "qms.references:referencing",
    # forms
    "current_form": "qms.forms:current_form",
    "load_form": "qms.forms:load_form",
    "field_label": "qms.forms:label",
    # documents
    "clause_map": "qms.clauses:clause_map",
    "documents_citing": "qms.clauses:documents_citing",
    # time
    "now": "qms.clock:now",
    "stamp": "qms.clock:stamp",
    "frozen_at": "qms.clock:frozen_at",
    "set_now": "qms.clock:set_now",
    "parse_date": "qms.dates:parse_date",
    "parse_time": "qms.dates:parse_time",
    "require_date": "qms.dates:require_date",
    "require_time": "qms.dates:require_time",
    "end_of_day": "qms.dates:end_of_day",
    "end_of": "qms.dates:end_of",
    "add_months": "qms.dates:add_months",
    "show_date": "qms.dates:show_date",
    "show_time": "qms.dates:show_time",
    "hours_between": "qms.dates:hours_between",
    "WorkCalendar": "qms.dates:WorkCalendar",
    "Limit": "qms.dates:Limit",
    "parse_limit": "qms.dates:parse_limit",
    # rendering
    "templates": "qms.render.templates:templates",
    "generic_record_html": "qms.recordlayout:generic_record_html",
    "Page": "qms.render.page:Page",
    "report_page": "qms.render.report:report_page",
    "render_pdf": "qms.render.pdf:render_pdf",
    "write_pdf": "qms.render.output:write_pdf",
    "target_file": "qms.render.output:target_file",
    "organisation": "qms.render.sources:organisation",
    "Job": "qms.render.batch:Job",
    "render_all": "qms.render.batch:render_all",
    "default_out": "qms.render.batch:default_out",
    "signer_title": "qms.users:signer_title",
    "with_chain_head": "qms.render.page:with_chain_head",
    # settings
    "settings": "qms.app:settings",
    # figures of other procedures
    "figures_by_plugin": "qms.figures:by_plugin",
    "figure_series": "qms.figures:series",
    "figure_table": "qms.figures:table",
    # command line
    "QMSGroup": "qms.cli:QMSGroup",
    "pass_app": "qms.cli:pass_app",
    "json_option": "qms.cli:json_option",
    "echo_json": "qms.cli:echo_json",
    "echo_table": "qms.cli.table:echo_table",
    "password_option": "qms.cli:password_option",
    "read_password": "qms.cli:read_password",
    "parse_sets": "qms.cli.record:parse_sets",
    "read_data": "qms.datafile:read_data",
    "LazyCommand": "qms.cli.lazy:LazyCommand",
    # demonstration
    "DemoContext": "qms.demo_context:DemoContext",
    "DemoStep": "qms.demo_context:DemoStep",
    "DEMO_PASSWORD": "qms.demo_context:DEMO_PASSWORD",
    "DEMO_USERS": "qms.demo_context:DEMO_USERS",
    # errors
    "QMSError": "qms.errors:QMSError",
    "UsageError": "qms.errors:UsageError",
    "NotFound": "qms.errors:NotFound",
    "Refused": "qms.errors:Refused",
    "ValidationFailed": "qms.errors:ValidationFailed",
    "ConfigError": "qms.errors:ConfigError",
    "PluginError": "qms.errors:PluginError",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    target = _EXPORTS.get(name)
    if target is None:
        raise AttributeError(f"qms.api has no {name!r}; the public names are listed in qms.api.__all__")
    module, attribute = target.split(":")
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value  # resolved once; later lookups do not come back here
    return value


def __dir__() -> list[str]:
    return __all__
