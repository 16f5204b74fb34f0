"""qms: a plugin-based ISO 9001 quality-management system for controlled documents and records.

The package re-exports the hook marker plugins use (``qms.hookimpl``) and the version.
"""

from __future__ import annotations

from qms.hookspecs import hookimpl


def __getattr__(name: str) -> str:
    """``__version__``, looked up on first use (PEP 562) through the cached plugin discovery.

    Asking ``importlib.metadata`` here would cost every start of ``qms`` its import and a scan
    of the installed distributions, even for commands that never print the version.
    """
    if name == "__version__":
        from qms.discovery import qms_version

        return qms_version()
    raise AttributeError(f"module 'qms' has no attribute {name!r}")


__all__ = ["__version__", "hookimpl"]
