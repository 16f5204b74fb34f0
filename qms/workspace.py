"""A workspace: one folder that is one organisation's quality system, and its ``qms.toml``.

A workspace holds ``qms.toml``, ``procedures/``, ``forms/`` and ``records/``. Commands find it
from ``--workspace``, ``QMS_WORKSPACE`` or the current folder upward.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qms.errors import ConfigError, WorkspaceError

CONFIG_NAME = "qms.toml"

#: ``[workspace] kind`` values; a fixed clock is honoured only in the last two.
WORKSPACE_KINDS = ("production", "demo", "test")
FIXED_CLOCK_KINDS = ("demo", "test")

#: What each role may do. A workspace may override any entry in ``[roles]`` of ``qms.toml``.
DEFAULT_ROLES: dict[str, list[str]] = {
    "admin": ["*"],
    "quality_officer": [
        "doc.prepare", "doc.review", "doc.issue", "doc.distribute", "doc.acknowledge", "doc.obsolete",
        "form.manage", "record.file", "record.move", "record.amend", "record.attach", "render", "export",
    ],
    "approver": ["doc.review", "doc.approve", "doc.acknowledge", "record.move", "record.dispose", "render", "export"],
    "department": ["doc.acknowledge", "record.file", "record.move", "record.amend", "record.attach", "render"],
    "auditor": ["export"],
}


@dataclass
class Config:
    """The parsed ``qms.toml``."""

    organisation: str
    organisation_en: str
    document_pattern: str
    record_pattern: str
    review_interval_months: int
    max_attachment_mb: float
    roles: dict[str, list[str]]
    reviewer_roles: list[str]
    approver_roles: list[str]
    holidays: list[str] = field(default_factory=list)
    workdays: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    #: ``[workspace] kind``: ``"production"`` (the default), or ``"demo"``/``"test"``, the only
    #: kinds where a fixed clock (``QMS_NOW``) is honoured.
    kind: str = "production"

    @property
    def fixed_clock_allowed(self) -> bool:
        """Whether ``QMS_NOW`` is honoured here: only in a demo or test workspace."""
        return self.kind in FIXED_CLOCK_KINDS

    def allows(self, role: str, permission: str) -> bool:
        """Whether ``role`` carries ``permission``."""
        granted = self.roles.get(role, [])
        return "*" in granted or permission in granted


def _get(table: dict[str, Any], key: str, kind: type, default: Any, where: str) -> Any:
    value = table.get(key, default)
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise ConfigError(f"{where}.{key} in {CONFIG_NAME} must be a {kind.__name__}, not {value!r}; fix that line")
    return value


def parse_config(path: Path) -> Config:
    """Read and check ``qms.toml``; a malformed file is one clear ``ConfigError``."""
    import tomllib  # here, not at the top: `qms --help` reads no workspace and should not pay for the parser

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML ({exc}); fix it and run the command again") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 text; save it as UTF-8") from exc
    org = raw.get("organisation", {})
    num = raw.get("numbering", {})
    docs = raw.get("documents", {})
    recs = raw.get("records", {})
    cal = raw.get("calendar", {})
    for name, table in (("organisation", org), ("numbering", num), ("documents", docs), ("records", recs), ("calendar", cal)):
        if not isinstance(table, dict):
            raise ConfigError(f"[{name}] in {path} must be a table; fix it")
    roles = dict(DEFAULT_ROLES)
    custom = raw.get("roles", {})
    if not isinstance(custom, dict) or not all(isinstance(v, list) for v in custom.values()):
        raise ConfigError(f"[roles] in {path} must map each role to a list of permissions")
    roles.update(custom)
    config = Config(
        organisation=_get(org, "name", str, "", "organisation"),
        organisation_en=_get(org, "name_en", str, "", "organisation"),
        document_pattern=_get(num, "document", str, r"^Q[MPWRE]-\d+(\.\d+)*-\d{2}$", "numbering"),
        record_pattern=_get(num, "record", str, "{prefix}-{year}-{seq:04d}", "numbering"),
        review_interval_months=_get(docs, "review_interval_months", int, 12, "documents"),
        max_attachment_mb=float(_get(recs, "max_attachment_mb", (int, float), 20, "records")),  # type: ignore[arg-type]
        roles=roles,
        reviewer_roles=_get(docs, "reviewer_roles", list, ["quality_officer", "approver", "admin"], "documents"),
        approver_roles=_get(docs, "approver_roles", list, ["approver", "admin"], "documents"),
        holidays=[str(d) for d in _get(cal, "holidays", list, [], "calendar")],
        workdays=[str(d) for d in _get(cal, "workdays", list, [], "calendar")],
        raw=raw,
    )
    if not config.organisation:
        raise ConfigError(f"[organisation] name is missing in {path}; add name = \"…\"")
    ws_table = raw.get("workspace", {})
    if not isinstance(ws_table, dict):
        raise ConfigError(f"[workspace] in {path} must be a table; fix it")
    config.kind = _get(ws_table, "kind", str, "production", "workspace")
    if config.kind not in WORKSPACE_KINDS:
        raise ConfigError(f"workspace.kind in {path} must be one of {', '.join(WORKSPACE_KINDS)}, not {config.kind!r}; fix that line")
    return config


@dataclass
class Workspace:
    """Paths of one workspace and its configuration."""

    root: Path
    config: Config

    @property
    def procedures(self) -> Path:
        return self.root / "procedures"

    @property
    def forms(self) -> Path:
        return self.root / "forms"

    @property
    def records(self) -> Path:
        return self.root / "records"

    @classmethod
    def open(cls, root: Path) -> Workspace:
        """Open the workspace at ``root`` (which must hold ``qms.toml``)."""
        if not root.exists():
            raise WorkspaceError(f"workspace folder {root} does not exist; create one with `qms init {root}`")
        cfg = root / CONFIG_NAME
        if not cfg.is_file():
            raise WorkspaceError(f"{root} is not a qms workspace (no {CONFIG_NAME}); create one with `qms init {root}`")
        return cls(root=root.resolve(), config=parse_config(cfg))


def find_workspace(explicit: str | None = None, start: Path | None = None) -> Workspace:
    """The workspace named by ``explicit``/``QMS_WORKSPACE``, or the nearest one above ``start``."""
    named = explicit or os.environ.get("QMS_WORKSPACE")
    if named:
        return Workspace.open(Path(named))
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return Workspace.open(folder)
    raise WorkspaceError(
        f"not inside a qms workspace ({here} and its parents have no {CONFIG_NAME}); "
        f"run `qms init DIR`, cd into a workspace, or pass --workspace DIR"
    )


def reference_root() -> Path:
    """The reference quality system shipped with the package (procedures, forms, qms.toml)."""
    packaged = Path(__file__).parent / "reference"
    if (packaged / CONFIG_NAME).is_file():
        return packaged
    source = Path(__file__).resolve().parent.parent  # an editable install runs from the repository
    if (source / CONFIG_NAME).is_file():
        return source
    raise WorkspaceError("the reference procedures are missing from this installation; reinstall qms")


def new_schema() -> str:
    """A fresh PostgreSQL schema name for a new workspace (or a copy of one)."""
    import uuid

    return "qms_" + uuid.uuid4().hex[:16]


def first_table(text: str, table: str) -> str:
    """``text`` (a ``qms.toml``) with ``table`` put before its first table, after any ``[workspace]``:
    tools and tests that cut or append at the end of the file keep it."""
    tables = [m.start() for m in re.finditer(r"^\[", text, re.MULTILINE)]
    workspace = re.search(r"^\[workspace\]\n(?:(?!\[).*\n?)*", text, re.MULTILINE)
    at = workspace.end() if workspace else (tables[0] if tables else len(text))
    return text[:at] + table + "\n" + text[at:]


def store_table(url: str, schema: str) -> str:
    """``qms.toml``'s ``[store]`` table: ``"folder"`` or the database ``url``, and its ``schema``."""
    import json

    head = ("[store]\n# Where the records live: \"folder\" (TinyDB files in records/) or a postgresql:// url\n"
            "# (keep its password in ~/.pgpass, not here).\n")
    return head + f"url = {json.dumps(url)}\n" + (f"schema = {json.dumps(schema)}\n" if url != "folder" else "")


def set_store_table(config: Path, url: str, schema: str) -> None:
    """Write ``[store]`` into the ``qms.toml`` at ``config``, replacing one that is there (the rest kept)."""
    text = config.read_text(encoding="utf-8")
    table = store_table(url, schema)
    found = re.search(r"^\[store\]\n(?:(?!\[).*\n?)*", text, re.MULTILINE)
    if found:
        text = text[:found.start()] + table + "\n" + text[found.end():].lstrip("\n")
    else:
        text = first_table(text, table)
    tmp = config.with_name(config.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(config)


def init_workspace(target: Path, organisation: str | None = None, *, kind: str = "production") -> Workspace:
    """Create a workspace at ``target`` holding copies of the reference procedures and forms.

    ``kind`` ``"demo"`` or ``"test"`` is written to ``[workspace]`` in ``qms.toml``: only such a
    workspace honours a fixed clock (``QMS_NOW``).
    """
    import shutil  # only `qms init` copies files; every other command starts without it

    if kind not in WORKSPACE_KINDS:
        raise WorkspaceError(f"workspace kind must be one of {', '.join(WORKSPACE_KINDS)}, not {kind!r}")
    if (target / CONFIG_NAME).exists():
        raise WorkspaceError(f"{target} is already a workspace; choose an empty folder")
    if target.exists() and any(target.iterdir()):
        raise WorkspaceError(f"{target} is not empty; choose an empty or new folder")
    ref = reference_root()
    target.mkdir(parents=True, exist_ok=True)
    text = (ref / CONFIG_NAME).read_text(encoding="utf-8")
    if organisation:
        text = text.replace(parse_config(ref / CONFIG_NAME).organisation, organisation.replace('"', "'"), 1)
    if kind != "production":
        # First of the tables, so tools that cut or append at the end of the file keep it.
        table = f'[workspace]\n# A {kind} workspace: a fixed clock (QMS_NOW) is honoured and marked in the audit log.\nkind = "{kind}"\n\n'
        first = re.search(r"^\[", text, re.MULTILINE)
        at = first.start() if first else len(text)
        text = text[:at] + table + text[at:]
    database = os.environ.get("QMS_STORE_URL")
    if database and database not in ("folder", "tinydb"):
        # A new workspace on the database QMS_STORE_URL names, written down so that it does not depend
        # on the variable from now on, in a schema of its own (never one that a workspace once at
        # this path left behind: a folder can be deleted, its schema stays).
        text = first_table(text, store_table(database, new_schema()))
    (target / CONFIG_NAME).write_text(text, encoding="utf-8")
    for sub in ("procedures", "forms"):
        src = ref / sub
        dst = target / sub
        dst.mkdir()
        if src.is_dir():
            for item in sorted(src.iterdir()):
                if item.is_file() and item.suffix in (".md", ".yaml", ".yml"):
                    shutil.copy2(item, dst / item.name)
    (target / "records").mkdir()
    (target / "records" / "README.md").write_text(
        "# records\n\nThe record store of this workspace: data written by qms, never by hand.\n", encoding="utf-8"
    )
    return Workspace.open(target)
