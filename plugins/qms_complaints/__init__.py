"""The Customer Complaint Handling procedure (客户投诉处理程序, QP-8.2-01) as a qms plugin.

Forms QR-8.2-01 客户投诉处理报告 (KS) and QR-8.2-02 客户回访记录 (HF); the complaint workflow with its
customer-caused and internal branches; severity computed from the recorded facts; the time limits
as due items; the monthly analysis (``qms complaints report``) and its dashboard figures. The hook
implementations are in ``hooks``; the rules in plain modules named after their noun.
"""

__version__ = "0.1.0"
