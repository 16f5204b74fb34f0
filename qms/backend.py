"""Which store a workspace runs on: the TinyDB folder store (the default) or PostgreSQL.

A workspace names its database in ``qms.toml``::

    [store]
    url = "postgresql://qms@db.example.com/quality"
    schema = "qms"            # optional: the schema holding this workspace's tables

or, when its ``qms.toml`` names none, through the environment variable ``QMS_STORE_URL`` (``qms init``
under it writes that url and a new schema into the new workspace's ``qms.toml``). Without either it
keeps its store in ``records/`` as TinyDB files. Without a ``schema``, each workspace folder gets one
of its own (``qms_`` and a digest of the folder's path), so several workspaces can share one database.
Nothing above the store knows which one it runs on.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qms.errors import ConfigError

if TYPE_CHECKING:
    from qms.store import Store
    from qms.workspace import Workspace

ENV = "QMS_STORE_URL"
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_SCHEMES = ("postgresql://", "postgres://")


def is_database_url(url: str) -> bool:
    """Whether ``url`` names a PostgreSQL database (the only server store)."""
    return url.startswith(_SCHEMES)


def default_schema(root: Path) -> str:
    """The schema of a workspace folder whose ``qms.toml`` names none: one per folder."""
    return "qms_" + hashlib.sha256(str(root.resolve()).encode("utf-8")).hexdigest()[:16]


def check_schema(schema: str, where: str) -> str:
    """``schema`` if it is a plain PostgreSQL identifier (it is written into SQL as one); else a one-line error."""
    if not _SCHEMA.fullmatch(schema):
        raise ConfigError(f"{where}: schema {schema!r} must be lower-case letters, digits and _ (at most 63), "
                          "starting with a letter or _; fix it")
    return schema


def settings_of(raw: dict[str, Any], root: Path) -> tuple[str | None, str]:
    """(database url or None for the folder store, schema) from ``qms.toml``'s parsed ``raw`` and the environment."""
    table = raw.get("store", {})
    if not isinstance(table, dict):
        raise ConfigError("[store] in qms.toml must be a table; fix it")
    url = table.get("url")
    if url is not None and not isinstance(url, str):
        raise ConfigError("store.url in qms.toml must be a string such as \"postgresql://host/db\"; fix that line")
    if url in (None, ""):
        url = os.environ.get(ENV) or None
        where = ENV
    else:
        where = "store.url in qms.toml"
    if url is not None and url not in ("folder", "tinydb") and not is_database_url(url):
        raise ConfigError(f"{where} must start with postgresql:// (or be \"folder\"), not {url!r}; fix it")
    if url in ("folder", "tinydb"):
        url = None
    schema = table.get("schema")
    if schema is not None and not isinstance(schema, str):
        raise ConfigError("store.schema in qms.toml must be a string; fix that line")
    return url, check_schema(schema, "store.schema in qms.toml") if schema else default_schema(root)


def open_store(workspace: Workspace) -> Store:
    """The store of ``workspace`` on the backend it names."""
    url, schema = settings_of(workspace.config.raw, workspace.root)
    return open_at(workspace.records, url, schema)


def open_at(records: Path, url: str | None, schema: str) -> Store:
    """A store for the ``records/`` folder ``records``: on PostgreSQL at ``url``, or the folder store."""
    if url is None:
        from qms.store import Store

        return Store(records)
    from qms.pgstore import PgStore  # psycopg is imported only by a workspace that uses it

    return PgStore(records, url, schema)


def copy_workspace(src: Path, dst: Path) -> None:
    """Copy the workspace folder ``src`` to ``dst``, and on PostgreSQL its store into the copy's own schema.

    A folder store travels with the folder; a database store does not, so the copy gets a schema of
    its own (written into its ``qms.toml``), filled with the source's objects, numbers and audit log.
    """
    import shutil

    from qms.workspace import CONFIG_NAME, Workspace, new_schema, set_store_table

    shutil.copytree(src, dst)
    raw = Workspace.open(src).config.raw
    url, schema = settings_of(raw, src)
    if url is None:
        return
    set_store_table(dst / CONFIG_NAME, url, new_schema())
    url_to, schema_to = settings_of(Workspace.open(dst).config.raw, dst)
    source = open_at(src / "records", url, schema)
    target = open_at(dst / "records", url_to, schema_to)
    target.load({c: dict(source.iter(c)) for c in source.collections()}, source.sequences(), source.audit_bytes())


def describe(store: Store) -> str:
    """Where a store keeps its objects, for messages and ``qms store info``."""
    label = getattr(store, "describe", None)
    return label() if callable(label) else f"TinyDB files in {store.root}"
