"""qms: a plugin-based ISO 9001 quality-management system for controlled documents and records.

The package re-exports the hook marker plugins use (``qms.hookimpl``) and the version.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from qms.hookspecs import hookimpl

try:
    __version__ = version("qms")
except PackageNotFoundError:  # running from a bare source tree
    __version__ = "0.0.0"

__all__ = ["__version__", "hookimpl"]
