"""The Customer Complaint Handling procedure (客户投诉处理程序, QP-8.2-01) as a qms plugin.

Forms QR-8.2-01 客户投诉处理报告 (KS) and QR-8.2-02 客户回访记录 (HF); the complaint workflow with its
customer-caused and internal branches; severity computed from the recorded facts; the time limits
as due items; the monthly analysis (``qms complaints report``) and its dashboard figures.

The hooks are thin; the work is in modules named after their noun: ``rules`` (cross-field checks
and vetoes), ``workflow`` (states and transitions), ``effects`` (what follows a move), ``severity``,
``due`` (time limits as due items), ``report`` (the monthly analysis as data), ``figures`` (dashboard
figures and the report's chart geometry), ``layout`` (the complaint's severity box and the report's
body, from ``templates/``), ``service`` (services across records) and ``cli`` (``qms complaints …``).
"""

__version__ = "0.1.0"
