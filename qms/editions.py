"""Edition/status arithmetic of controlled documents in the Chinese style (版号/状态).

An edition is a capital letter (the 版号, re-edition) and a number (the 状态, change status):
``A/0``. A minor change raises the number (``A/0 → A/1``); a major change raises the letter and
resets the number (``A/3 → B/0``). Editions order by letter, then number.
"""

from __future__ import annotations

import re

from qms.errors import Refused, UsageError

FIRST = "A/0"
_EDITION = re.compile(r"^([A-Z])/(\d{1,2})$")


def parse(edition: str) -> tuple[str, int]:
    """The letter and number of ``edition``; a ``UsageError`` naming the expected form otherwise."""
    m = _EDITION.match(str(edition).strip())
    if not m:
        raise UsageError(f"edition {edition!r} is not of the form LETTER/NUMBER such as A/0 or B/2")
    return m.group(1), int(m.group(2))


def is_edition(edition: str) -> bool:
    """Whether ``edition`` is well formed."""
    return bool(_EDITION.match(str(edition).strip()))


def sort_key(edition: str) -> tuple[str, int]:
    """A key that orders editions A/0 < A/1 < A/10 < B/0."""
    return parse(edition)


def next_minor(edition: str) -> str:
    """The edition after a minor change: ``A/1 → A/2``."""
    letter, number = parse(edition)
    if number >= 99:
        raise Refused(f"edition {edition} cannot take another minor change; make a major revision (--major)")
    return f"{letter}/{number + 1}"


def next_major(edition: str) -> str:
    """The edition after a major change (re-edition): ``A/3 → B/0``."""
    letter, _ = parse(edition)
    if letter == "Z":
        raise Refused(f"edition {edition} is the last letter; no further re-edition is possible")
    return f"{chr(ord(letter) + 1)}/0"
