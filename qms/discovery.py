"""The installed plugins' ``qms`` entry points and the version of ``qms``, cached between runs.

Asking ``importlib.metadata`` costs every start of ``qms`` tens of milliseconds: its import pulls in
``email``, ``zipfile`` and ``csv``, and it reads the metadata of every installed distribution. What
it answers changes only when a distribution is installed, upgraded or removed, and each of those
changes the listing of a folder on ``sys.path``: a ``*.dist-info`` folder appears, disappears or is
rewritten. So the answer is kept in one small JSON file per interpreter, together with the
signature of those folders (their mtimes, the names and mtimes of the metadata folders in them and
of their ``entry_points.txt``), and asked again whenever the signature differs.

The cache lives in ``QMS_CACHE_DIR``, else ``$XDG_CACHE_HOME/qms``, else ``~/.cache/qms``. A cache
that cannot be read or written only costs the slow path; it never fails a command.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import stat
import sys
import zlib
from dataclasses import dataclass
from typing import Any

#: Raise when the file's shape changes, so an older file is ignored rather than misread.
FORMAT = 1
#: The entry-point group plugins are found in.
GROUP = "qms"
#: ``module:attr.path [extras]``, the entry-point value syntax of the packaging specification.
_VALUE = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?(\[.*\])?\s*$")


@dataclass(frozen=True)
class Found:
    """One ``qms`` entry point: its name, ``module:attr`` value and its distribution's version."""

    name: str
    value: str
    version: str

    def load(self) -> Any:
        """Import the module the entry point names (and the attribute, if one is named)."""
        match = _VALUE.match(self.value)
        if match is None:
            raise ValueError(f"entry point {self.name!r} has a malformed value {self.value!r}")
        target: Any = importlib.import_module(match.group("module"))
        for part in (match.group("attr") or "").split("."):
            if part:
                target = getattr(target, part)
        return target


# Paths are plain strings here: pathlib (with urllib.parse and ipaddress) costs every start of
# `qms` a few milliseconds, and `qms --help` needs nothing else of it.


def cache_dir() -> str:
    """Where the cache file lives (see the module docstring)."""
    chosen = os.environ.get("QMS_CACHE_DIR")
    if chosen:
        return chosen
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "qms")


def cache_file() -> str:
    """The cache file of this interpreter, so two virtualenvs do not overwrite each other's."""
    # crc32, not hashlib: importing hashlib (OpenSSL) alone costs 2 ms of every start, and a clash
    # between two interpreters would only make them take turns at the slow path.
    key = "\0".join((sys.prefix, sys.executable)).encode()
    # The installed `qms` script (its folder first on sys.path) gets a file of its own, so that
    # `python -m qms` run from many folders (each a different first entry) never evicts it.
    kind = "script" if sys.path and sys.path[0] == os.path.dirname(sys.executable) else "other"
    return os.path.join(cache_dir(), f"plugins-{zlib.crc32(key):08x}-{kind}.json")


def signature() -> list[Any]:
    """What the metadata of every folder on ``sys.path`` looks like now, cheap to take (stats only)."""
    sig: list[Any] = []
    for entry in sys.path:
        path = entry or "."
        try:
            st = os.stat(path)
        except OSError:
            sig.append([entry, None])
            continue
        if not stat.S_ISDIR(st.st_mode):  # a zip file: its mtime and size stand for its contents
            sig.append([entry, st.st_mtime_ns, st.st_size])
            continue
        metas: list[Any] = []
        try:
            with os.scandir(path) as listing:
                for item in listing:
                    if item.name.endswith((".dist-info", ".egg-info")):
                        metas.append([item.name, _mtime(item.path), _mtime(os.path.join(item.path, "entry_points.txt"))])
        except OSError:
            pass
        sig.append([entry, st.st_mtime_ns, sorted(metas)])
    return sig


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def _scan() -> dict[str, Any]:
    """Ask ``importlib.metadata`` (the slow path the cache saves)."""
    from importlib.metadata import PackageNotFoundError, entry_points, version

    found = [{"name": ep.name, "value": ep.value, "version": ep.dist.version if ep.dist is not None else "?"}
             for ep in entry_points(group=GROUP)]
    try:
        own = version("qms")
    except PackageNotFoundError:  # running from a bare source tree
        own = "0.0.0"
    return {"entry_points": found, "version": own}


#: How many ``sys.path`` layouts one cache file remembers: ``qms`` and ``python -m qms`` differ in
#: their first entry (the script's folder, or the current one), and should not evict each other.
LAYOUTS = 8

#: The last answer this process read or made, with the signature it belongs to.
_memo: tuple[list[Any], dict[str, Any]] | None = None


def _answer() -> dict[str, Any]:
    """The cached answer if the signature still matches, else a fresh scan written back to the cache."""
    global _memo
    sig = signature()
    if _memo is not None and _memo[0] == sig:
        return _memo[1]
    target = cache_file()
    layouts: list[dict[str, Any]] = []
    try:
        with open(target, encoding="utf-8") as file:
            cached = json.load(file)
        if cached.get("format") == FORMAT:
            layouts = [e for e in cached["layouts"] if isinstance(e, dict) and e.get("path") != sys.path]
            for entry in cached["layouts"]:
                if entry.get("signature") == sig:
                    _memo = (sig, dict(entry["answer"]))
                    return _memo[1]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        layouts = []  # no cache yet, or one of another shape: take the slow path
    answer = _scan()
    layouts = [{"path": sys.path, "signature": sig, "answer": answer}, *layouts][:LAYOUTS]
    try:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        temp = f"{target}.{os.getpid()}.tmp"
        with open(temp, "w", encoding="utf-8") as file:
            json.dump({"format": FORMAT, "layouts": layouts}, file)
        os.replace(temp, target)  # readers see the old file or the new one, never half of one
    except OSError:
        pass  # a read-only home only costs the slow path next time
    _memo = (sig, answer)
    return answer


def disabled_from_env() -> tuple[str, ...]:
    """Plugin names listed in ``QMS_DISABLE_PLUGINS`` (comma separated): not loaded in this process."""
    raw = os.environ.get("QMS_DISABLE_PLUGINS", "")
    return tuple(n.strip() for n in raw.split(",") if n.strip())


def plugin_entry_points() -> list[Found]:
    """The ``qms`` entry points of the installed distributions, as ``importlib.metadata`` lists them."""
    return [Found(str(e["name"]), str(e["value"]), str(e["version"])) for e in _answer()["entry_points"]]


def qms_version() -> str:
    """The installed version of ``qms`` (``0.0.0`` from a bare source tree)."""
    return str(_answer()["version"])
