"""Internal audit (内部审核, QP-9.2-01, ISO 9001 9.2): the annual programme, audits and their findings.

One procedure, two forms: QR-9.2-01 年度内部审核计划 (prefix NJ, which departments are audited
against which clauses in which month) and QR-9.2-02 内部审核实施记录 (prefix NS, one audit: an
auditor independent of the audited department, a checklist drawn from the clause map of the
documents in force, findings graded 严重 / 一般 / 观察项). A nonconformity (严重 or 一般) opens a
nonconformity report through the core's ``nonconformity`` effect; an observation opens none.
"""

__version__ = "0.1.0"
