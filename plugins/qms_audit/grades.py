"""Finding grades of an internal audit and the nonconformity reports (NCR) the nonconformities open.

严重 (major) and 一般 (minor) are nonconformities (不符合): each opens an NCR through the core's
``nonconformity`` effect the first time it is saved as one. 观察项 (observation) is a risk worth
watching, not a failure to meet a requirement, and opens none.
"""

from __future__ import annotations

from typing import Any

MAJOR, MINOR, OBSERVATION = "严重", "一般", "观察项"
GRADES: tuple[str, ...] = (MAJOR, MINOR, OBSERVATION)
#: Chinese-first display names of the grades.
LABELS: dict[str, str] = {MAJOR: "严重不符合 Major nonconformity", MINOR: "一般不符合 Minor nonconformity",
                          OBSERVATION: "观察项 Observation"}
NONCONFORMITIES: frozenset[str] = frozenset({MAJOR, MINOR})


def is_nonconformity(finding: dict[str, Any]) -> bool:
    """Whether the finding is a nonconformity (严重 or 一般), which needs a response and an NCR."""
    return finding.get("grade") in NONCONFORMITIES


def findings(data: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The findings of an audit's data (``[]`` when none)."""
    return [f for f in (data or {}).get("findings") or [] if isinstance(f, dict)]


def newly_nonconforming(data: dict[str, Any], previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Findings that are nonconformities now and were not, under the same number, before this save.

    A finding keeps its number (``no``), so saving the audit again does not open a second NCR for
    it; an observation raised later to 一般 opens one then.
    """
    before = {f.get("no") for f in findings(previous) if is_nonconformity(f)}
    return [f for f in findings(data) if is_nonconformity(f) and f.get("no") not in before]


def finding_ref(number: str, no: Any) -> str:
    """The reference of finding ``no`` of audit ``number`` (``NS-2026-0001/2``): what its NCR names as source.

    Per finding, not per audit: the core files one report per source reference, and each
    nonconformity of an audit needs its own correction.
    """
    return f"{number}/{no}"


def nonconformity_effects(record: dict[str, Any], previous: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The ``nonconformity`` effects for the audit ``record``'s newly nonconforming findings."""
    data = record.get("data") or {}
    out = []
    for finding in newly_nonconforming(data, previous):
        clause = finding.get("clause", "")
        out.append({
            "effect": "nonconformity", "source": "audit", "ref": finding_ref(record["number"], finding.get("no")),
            "summary": f"内审不符合项 {finding.get('no')}（{clause}）：{finding.get('description', '')}",
            "dept": data.get("dept", ""), "severity": finding["grade"],
            "reason": f"内部审核 {record['number']} 发现 {finding.get('no')} 为{LABELS[finding['grade']]} "
                      f"(internal audit finding, ISO 9001 {clause})",
        })
    return out


def counts(audits: list[dict[str, Any]]) -> dict[str, int]:
    """Findings per grade over ``audits``, every grade listed."""
    out = dict.fromkeys(GRADES, 0)
    for audit in audits:
        for f in findings(audit.get("data")):
            if f.get("grade") in out:
                out[f["grade"]] += 1
    return out


def awaiting_response(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Nonconformities the audited department has not yet answered."""
    return [f for f in findings(data) if is_nonconformity(f) and not f.get("response")]
