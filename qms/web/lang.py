"""The interface language of the web workspace: Chinese by default, English by a switch the session remembers.

Every string of the workspace's templates is written in both languages as ``t("中文", "English")``;
``t`` picks the one of the session's language, so no text exists in one language only.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

LANGS = ("zh", "en")
DEFAULT = "zh"


def current(session: MutableMapping[str, Any]) -> str:
    """The session's language (``zh`` unless switched)."""
    lang = session.get("lang")
    return lang if lang in LANGS else DEFAULT


def pick(lang: str, zh: str, en: str) -> str:
    """``zh`` or ``en`` for ``lang``."""
    return en if lang == "en" else zh


__all__ = ["DEFAULT", "LANGS", "current", "pick"]
