"""ISO 9001:2015 clauses that call for documented information, and which documents in force cover them.

The list is the standard's "maintain" (documents) and "retain" (records) requirements; a clause
with no document in force citing it (front matter ``iso_clauses``) is shown as a gap (DC-01).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from qms.documents import all_documents, in_force

if TYPE_CHECKING:
    from qms.app import App

#: Clause → bilingual label of the documented information it requires.
REQUIRED: dict[str, str] = {
    "4.3": "质量管理体系范围 scope of the QMS",
    "4.4": "过程运行的支持信息 information supporting process operation",
    "5.2": "质量方针 quality policy",
    "6.2": "质量目标 quality objectives",
    "7.1.5": "监视和测量资源 monitoring and measuring resources",
    "7.2": "能力 competence",
    "7.5": "成文信息的控制 control of documented information",
    "8.1": "运行策划和控制 operational planning and control",
    "8.2.3": "产品和服务要求的评审 review of requirements",
    "8.3": "设计和开发 design and development",
    "8.4": "外部提供过程的控制 control of external providers",
    "8.5.1": "生产和服务提供的控制 control of production and service provision",
    "8.5.2": "标识和可追溯性 identification and traceability",
    "8.5.3": "顾客或外部供方的财产 property of customers or external providers",
    "8.5.6": "更改控制 control of changes",
    "8.6": "产品和服务的放行 release of products and services",
    "8.7": "不合格输出的控制 control of nonconforming outputs",
    "9.1": "监视、测量、分析和评价 monitoring, measurement, analysis and evaluation",
    "9.2": "内部审核 internal audit",
    "9.3": "管理评审 management review",
    "10.2": "不合格和纠正措施 nonconformity and corrective action",
}


def covers(cited: str, clause: str) -> bool:
    """Whether a cited clause (``8.2.1``) falls under ``clause`` (``8.2.1`` or a parent such as ``8.2``)."""
    return cited == clause or cited.startswith(clause + ".") or clause.startswith(cited + ".")


def documents_citing(app: App, clauses: list[str], now: datetime | None = None) -> dict[str, list[str]]:
    """For each of ``clauses`` (any clause, required or not): the documents in force citing it, or a
    clause under or above it (an internal audit of 8.2 looks at the procedure citing 8.2.1)."""
    current = [r for revs in all_documents(app, now).values() if (r := in_force(revs)) is not None]
    return {clause: sorted(r["number"] for r in current if any(covers(str(c), clause) for c in r.get("iso_clauses", [])))
            for clause in clauses}


def clause_map(app: App, now: datetime | None = None) -> list[dict[str, Any]]:
    """For each required clause: its label and the documents in force citing it (empty = gap)."""
    current = [r for revs in all_documents(app, now).values() if (r := in_force(revs)) is not None]
    return [{"clause": clause, "label": label,
             "documents": [r["number"] for r in current if any(covers(str(c), clause) for c in r.get("iso_clauses", []))]}
            for clause, label in REQUIRED.items()]
