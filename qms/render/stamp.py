"""The status stamp printed on every page of a controlled PDF, and which one a revision gets.

A controlled document's copy is 受控 CONTROLLED only when it is the effective revision; a copy
handed outside is 非受控 UNCONTROLLED; anything not yet effective is 草稿 DRAFT; replaced and
withdrawn revisions are 已替代 SUPERSEDED and 作废 OBSOLETE. A copy number and holder only make
sense for a controlled copy of the effective revision, so any other combination is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from qms.errors import UsageError

#: Revision states that are not yet in force: their PDFs are drafts.
DRAFT_STATES = frozenset({"draft", "in_review", "approved"})


@dataclass(frozen=True)
class Stamp:
    """What the stamp says: ``zh``/``en`` words, an optional detail line, and whether to watermark."""

    kind: str
    zh: str
    en: str
    detail: str = ""
    watermark: bool = False

    @property
    def text(self) -> str:
        """The stamp as one line: ``受控 CONTROLLED · 副本号 Copy No. 03 · 持有 Holder 品质部``."""
        head = f"{self.zh} {self.en}"
        return f"{head} · {self.detail}" if self.detail else head


def controlled(copy: int | None = None, holder: str | None = None) -> Stamp:
    """受控: a numbered copy held by a department, or the master copy kept in the system."""
    if copy is None and holder is None:
        return Stamp("controlled", "受控", "CONTROLLED", "电子主本 Master copy")
    if copy is None or not holder:
        raise UsageError("a controlled copy needs both --copy N and --holder DEPT")
    if copy < 1:
        raise UsageError(f"copy number must be 1 or more, not {copy}")
    return Stamp("controlled", "受控", "CONTROLLED", f"副本号 Copy No. {copy:03d} · 持有 Holder {holder}")


UNCONTROLLED = Stamp("uncontrolled", "非受控", "UNCONTROLLED", "仅供参考 For information only", watermark=True)
DRAFT = Stamp("draft", "草稿", "DRAFT", "未生效 Not in force", watermark=True)
SUPERSEDED = Stamp("superseded", "已替代", "SUPERSEDED", "不得使用 Do not use", watermark=True)
OBSOLETE = Stamp("obsolete", "作废", "OBSOLETE", "不得使用 Do not use", watermark=True)


def issued(effective_date: str) -> Stamp:
    """已发布待实施: issued but its effective date has not come yet."""
    return Stamp("issued", "待实施", "NOT YET EFFECTIVE", f"实施日期 Effective {effective_date or '—'}", watermark=True)


def for_revision(state: str, *, copy: int | None = None, holder: str | None = None, uncontrolled: bool = False,
                 effective_date: str = "") -> Stamp:
    """The stamp for a revision in ``state``; refuses copy options that do not fit the state."""
    if uncontrolled and (copy is not None or holder):
        raise UsageError("choose either --copy N --holder DEPT or --uncontrolled, not both")
    wants_copy = uncontrolled or copy is not None or bool(holder)
    if state == "effective":
        return UNCONTROLLED if uncontrolled else controlled(copy, holder)
    if state == "issued":
        # Copies of an issued revision go out before its effective date; the stamp says when it applies.
        if uncontrolled:
            return UNCONTROLLED
        if copy is not None or holder:
            base = controlled(copy, holder)
            return Stamp(base.kind, base.zh, base.en, f"{base.detail} · 实施 Effective {effective_date or '—'}")
        return issued(effective_date)
    fixed = {"superseded": SUPERSEDED, "obsolete": OBSOLETE}.get(state)
    if fixed is None and state in DRAFT_STATES:
        fixed = DRAFT
    if fixed is None:
        raise UsageError(f"revision state {state!r} is unknown; expected draft, in_review, approved, issued, "
                         f"effective, superseded or obsolete")
    if wants_copy:
        raise UsageError(f"this revision is {state}; copies (--copy/--holder/--uncontrolled) are issued only of the "
                         f"issued or effective revision")
    return fixed


def for_record(state: str, label: str, closed: bool) -> Stamp:
    """The stamp of a record PDF: 记录 RECORD and its state (closed records say so: they are immutable)."""
    words = label or state
    if closed:
        return Stamp("record-closed", "记录", "RECORD", f"{words} · 不可修改 Immutable" if "关闭" not in words else words)
    return Stamp("record-open", "记录", "RECORD", f"{words} · 进行中 Open")
