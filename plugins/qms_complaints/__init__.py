"""The Customer Complaint Handling procedure (客户投诉处理程序, QP-8.2-01) as a qms plugin.

Forms QR-8.2-01 客户投诉处理报告 (KS) and QR-8.2-02 客户回访记录 (HF); the complaint workflow with its
customer-caused and internal branches; severity computed from the recorded facts; the time limits
as due items; the monthly analysis (``qms complaints report``) and its dashboard figures. The hook
implementations are in ``hooks``; the rules in plain modules named after their noun.
"""

from __future__ import annotations

from qms_complaints.hooks import (
    PROCEDURE_DECL as PROCEDURE,
)
from qms_complaints.hooks import (
    qms_after_transition,
    qms_check_reference,
    qms_check_transition,
    qms_demo_steps,
    qms_due_items,
    qms_figures,
    qms_register_commands,
    qms_register_forms,
    qms_register_procedures,
    qms_register_workflows,
    qms_render_record_html,
    qms_validate_record,
)

__version__ = "0.1.0"

__all__ = [
    "PROCEDURE", "qms_after_transition", "qms_check_reference", "qms_check_transition", "qms_demo_steps", "qms_due_items", "qms_figures", "qms_register_commands",
    "qms_register_forms", "qms_register_procedures", "qms_register_workflows", "qms_render_record_html",
    "qms_validate_record",
]
