"""Severity of a complaint (一般 / 重大 / 特殊重大) computed from the facts recorded on it.

Seed 000 doc 10 第三条 defines 特殊重大 and seed 000 doc 17 §1.1.3 the triggers for 重大. The
procedure (QP-8.2-01 §4, §5.3.3) fixes the boundaries: 以上 includes the bound, so an amount counts
from ¥10,000 (exactly 10,000 counts) and a collective complaint from **10** complainants;
"open more than 2 months" means strictly later than the same clock time two calendar months after
receipt, and only while the delay is the company's (``delay_customer_caused`` is not set).

The computed level is a minimum: a person may set ``severity`` higher (with a reason), never lower.
The level in force is the higher of the two.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


from qms.api import add_months, parse_time

LEVELS: tuple[str, ...] = ("一般", "重大", "特殊重大")
LEVEL_EN: dict[str, str] = {"一般": "general", "重大": "major", "特殊重大": "special major"}
AMOUNT_LIMIT = 10_000  # CNY; this much or more is 特殊重大 (10000元以上, inclusive)
COLLECTIVE = 10  # complainants; this many or more is 特殊重大
OPEN_MONTHS = 2

#: (field, level, label) of the yes/no triggers.
FLAG_TRIGGERS: tuple[tuple[str, str, str], ...] = (
    ("legal_action", "特殊重大", "已引发法律诉讼 legal action"),
    ("media_exposure", "特殊重大", "已被媒体曝光 media exposure"),
    ("compensation_claimed", "重大", "客户提出赔偿 compensation claimed"),
    ("safety_involved", "重大", "涉及安全 safety involved"),
    ("referred_by_authority", "重大", "消协/政府/公安/律师转来 referred by an authority or lawyer"),
    ("repeated_repairs", "重大", "同一问题多次维修 repeated repairs"),
)


@dataclass(frozen=True)
class Assessment:
    """The computed level and every trigger that applies (level, label)."""

    level: str
    triggers: tuple[tuple[str, str], ...]

    def reasons(self, level: str | None = None) -> str:
        """The labels of the triggers of ``level`` (default: the computed level), comma separated."""
        wanted = level or self.level
        return ", ".join(label for lvl, label in self.triggers if lvl == wanted)


def rank(level: str | None) -> int:
    """0, 1, 2 for 一般, 重大, 特殊重大; -1 for no level."""
    return LEVELS.index(level) if level in LEVELS else -1


def higher(a: str | None, b: str | None) -> str:
    """The more severe of two levels (一般 when neither is set)."""
    return max((a, b), key=rank) if rank(a) >= 0 or rank(b) >= 0 else LEVELS[0]  # type: ignore[return-value]


def escalation_due(data: dict[str, Any]) -> datetime | None:
    """The moment after which an open complaint counts as open over 2 months, or ``None`` without receipt time."""
    received = parse_time(data.get("received_at"))
    return add_months(received, OPEN_MONTHS) if received else None


def over_two_months(data: dict[str, Any], at: datetime | None) -> bool:
    """Whether the complaint has been open for more than 2 months at ``at`` for the company's reasons."""
    if data.get("escalated_at"):
        return True
    if at is None or data.get("delay_customer_caused"):
        return False
    due = escalation_due(data)
    return due is not None and at > due


def assess(data: dict[str, Any], at: datetime | None = None) -> Assessment:
    """The computed level of a complaint; ``at`` (the time it is still open at) enables the 2-month rule."""
    triggers: list[tuple[str, str]] = []
    for name, level, label in FLAG_TRIGGERS:
        if data.get(name) is True:
            triggers.append((level, label))
    amount = data.get("amount_involved")
    if isinstance(amount, (int, float)) and not isinstance(amount, bool) and amount >= AMOUNT_LIMIT:
        triggers.append(("特殊重大", f"涉及金额 ¥{amount:,.2f}（¥10,000 及以上） amount of CNY 10,000 or more"))
    count = data.get("complainant_count")
    if isinstance(count, int) and not isinstance(count, bool) and count >= COLLECTIVE:
        triggers.append(("特殊重大", f"{count} 人集体投诉 collective complaint by {count} (10 or more)"))
    if over_two_months(data, at):
        triggers.append(("特殊重大", "超过 2 个月仍未解决（本公司原因） open over 2 months for the company's reasons"))
    level = max((lvl for lvl, _ in triggers), key=rank, default=LEVELS[0])
    # Most severe first, so the reasons read in order of weight.
    ordered = tuple(sorted(triggers, key=lambda t: -rank(t[0])))
    return Assessment(level=level, triggers=ordered)


def effective(data: dict[str, Any], at: datetime | None = None) -> str:
    """The level in force: the computed level or the one a person raised it to, whichever is higher."""
    return higher(assess(data, at).level, data.get("severity"))


def label(level: str) -> str:
    """``重大 major``."""
    return f"{level} {LEVEL_EN.get(level, '')}".strip()


__all__ = ["AMOUNT_LIMIT", "COLLECTIVE", "LEVELS", "Assessment", "assess", "effective", "escalation_due", "higher",
           "label", "over_two_months", "rank"]
