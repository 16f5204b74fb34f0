"""The YAML front matter of a procedure file: read once here for documents, checks and the demo."""

from __future__ import annotations

import yaml


def front_matter(text: str) -> tuple[dict[str, object] | None, str | None]:
    """The YAML front matter of a Markdown text and an error (with its line) if malformed."""
    if not text.startswith("---\n"):
        return None, "line 1: no front matter (the file must start with a '---' line)"
    end = text.find("\n---", 4)
    if end < 0:
        return None, "front matter is not closed by a '---' line"
    try:
        meta = yaml.safe_load(text[4:end])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 2}: " if mark is not None else ""
        return None, f"{line}front matter is not valid YAML ({getattr(exc, 'problem', exc)})"
    except ValueError as exc:  # PyYAML builds dates itself: 2026-13-45 fails there, not in the parser
        return None, f"front matter holds an impossible date ({exc}); write it as YYYY-MM-DD or quote it"
    if not isinstance(meta, dict):
        return None, "front matter must be a mapping of keys to values"
    return meta, None


__all__ = ["front_matter"]
