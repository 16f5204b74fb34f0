"""The application object the CLI and the site share: workspace, store, plugin host and users.

Services (documents, records, rendering) are built from it, so one command holds one consistent
view of the workspace.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from qms import clock
from qms.host import Host
from qms.workspace import Workspace

if TYPE_CHECKING:
    # Imported where first used instead: the store, the users (and their signing keys) and the
    # calendar cost every start of `qms` tens of milliseconds, and plugins name ``App`` at import.
    from qms.dates import WorkCalendar
    from qms.store import Store
    from qms.users import Users


@dataclass
class App:
    """One opened workspace with its plugins; ``actor_name`` is who runs the command (``--as``).

    ``proof`` is how the CLI makes its actor prove who they are (``qms.logins.Identity.prove``),
    asked the first time a command changes something. In-process callers (the demo, the web
    workspace after its own login, tests) vouch for the name they give and pass none.
    """

    workspace: Workspace
    host: Host
    actor_name: str | None = None
    proof: Callable[[App], None] | None = None

    def __post_init__(self) -> None:
        # The clock learns whether this workspace honours QMS_NOW (only a demo or test one does).
        clock.allow_fixed(self.workspace.config.fixed_clock_allowed)

    @cached_property
    def store(self) -> Store:
        from qms.anchors import keep_periodic_anchor
        from qms.backend import open_store

        store = open_store(self.workspace)  # the folder store, or PostgreSQL when the workspace names it
        store.fixed_clock_allowed = self.workspace.config.fixed_clock_allowed
        store.after_commit = keep_periodic_anchor  # a company keeps a history of signed chain heads
        return store

    @cached_property
    def users(self) -> Users:
        from qms.users import Users

        return Users(self.store, self.workspace.config)

    @cached_property
    def calendar(self) -> WorkCalendar:
        """The workspace's working-day calendar (Chinese calendar plus the days in ``qms.toml``)."""
        from qms.dates import WorkCalendar

        return WorkCalendar.from_config(self.workspace.config)

    def acting_as(self, name: str) -> App:
        """The same workspace and plugins, acting as the user ``name``."""
        return App(self.workspace, self.host, name)

    def actor(self, permission: str, action: str) -> dict[str, Any]:
        """The acting user, refused unless they proved who they are and their role carries ``permission``."""
        if self.proof is not None:
            self.proof(self)
        return self.users.authorise(self.actor_name, permission, action)


def settings(app: App, table: str | None = None) -> dict[str, Any]:
    """The workspace's ``qms.toml`` as plain data (a copy), or only its ``[table]`` (empty when absent)."""
    raw = app.workspace.config.raw
    chosen = raw if table is None else raw.get(table, {})
    return copy.deepcopy(chosen) if isinstance(chosen, dict) else {}
