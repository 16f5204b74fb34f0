"""An audit's checklist, drawn from the clause map: for each audited clause, the documents in force
that cite it, and the documented information the standard asks for at or under it.

Two core answers feed it: ``api.documents_citing`` (the documents in force whose front matter cites a
clause, one under it or one above it: an audit of 8.2 looks at the procedure citing 8.2.1) and
``api.clause_map`` (each clause calling for documented information, 8.2.3 review of requirements
for instance, with the documents in force citing it). An audited clause gets one question on the
documents that cite it, and one per clause-map row at or under it; a row no document in force cites
is a gap the auditor checks first, a clause no document cites is checked on site.
"""

from __future__ import annotations

from typing import Any


def covers(cited: str, clause: str) -> bool:
    """Whether ``cited`` falls under ``clause`` or ``clause`` under it (8.5 and 8.5.1, 7.1.5.2 and 7.1.5)."""
    return cited == clause or cited.startswith(clause + ".") or clause.startswith(cited + ".")


def _general(clause: str, docs: list[str]) -> str:
    if docs:
        return f"条款 {clause}：是否按 {'、'.join(docs)} 的规定实施并保持？ (implemented as the documents in force say?)"
    return f"条款 {clause}：无现行文件引用本条款，通过面谈和现场观察核实 (no document in force cites it: check on site)"


def _required(row: dict[str, Any], docs: list[str]) -> str:
    if docs:
        return (f"{row['label']}：是否按 {'、'.join(docs)} 实施，并保留了要求的成文信息？"
                f" (documented information kept as required?)")
    return f"{row['label']}：无现行文件引用本条款，核实要求如何满足 (no document in force cites this clause: a gap)"


def items(clauses: list[str], clause_map: list[dict[str, Any]], citing: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The checklist of an audit of ``clauses``: one question per clause and per clause-map row, documents named."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for clause in clauses:
        rows = [row for row in clause_map if covers(str(row["clause"]), clause) and str(row["clause"]) not in seen]
        docs = list(citing.get(clause) or [])
        if clause not in {str(row["clause"]) for row in rows} and clause not in seen:
            seen.add(clause)
            out.append({"clause": clause, "documents": docs, "question": _general(clause, docs)})
        for row in rows:
            key = str(row["clause"])
            seen.add(key)
            row_docs = sorted({*map(str, row["documents"]), *(docs if key == clause else [])})
            out.append({"clause": key, "documents": row_docs, "question": _required(row, row_docs)})
    return out


def within(clause: str, audited: list[str]) -> bool:
    """Whether a finding's or checklist item's ``clause`` lies within the audited clauses."""
    return any(covers(clause, a) for a in audited)
