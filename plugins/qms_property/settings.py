"""The workspace's property settings and working-day calendar, read through the core's ``App``."""

from __future__ import annotations

from typing import TYPE_CHECKING


from qms_property.config import PropertyConfig, from_raw

if TYPE_CHECKING:
    from qms.api import App


def of(app: App) -> PropertyConfig:
    """The ``[property]`` settings of ``app``'s workspace."""
    return from_raw(app.workspace.config.raw)

