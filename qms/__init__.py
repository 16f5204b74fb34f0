"""qms: a plugin-based ISO 9001 quality-management system for controlled documents and records.

The package re-exports the hook marker plugins use (``qms.hookimpl``) and the version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qms.hookspecs import hookimpl


def __getattr__(name: str) -> Any:
    """``hookimpl`` and ``__version__``, looked up on first use (PEP 562).

    Importing pluggy here, or asking ``importlib.metadata`` for the version, would cost every start
    of ``qms`` its import, even a ``qms render`` handed to the render service before any plugin loads.
    """
    if name == "hookimpl":
        from qms.hookspecs import hookimpl

        return hookimpl
    if name == "__version__":
        from qms.discovery import qms_version

        return qms_version()
    raise AttributeError(f"module 'qms' has no attribute {name!r}")


__all__ = ["__version__", "hookimpl"]
