"""The Management Review procedure (管理评审程序, QP-9.3-01, ISO 9001 9.3) as a qms plugin.

One form, QR-9.3-01 管理评审报告 (GP): the review's inputs (9.3.2) are gathered from the other
procedures' figures (``qms_figures``) for the review period and kept in the record as a snapshot,
so the record is what the meeting saw; the outputs (9.3.3) carry an owner and a due date and are
tracked to done; the report is approved by the 总经理 with a password signature; the next review's
"status of actions from previous reviews" comes from the outputs of the one before.

Modules: ``inputs`` (the 9.3.2 headings and how figures are mapped to them), ``service`` (gathering,
filing, outputs; the parts that need the workspace), ``workflow`` (states and moves), ``rules``
(what may change when, vetoes), ``due`` (open outputs), ``figures`` (own figures and chart
geometry), ``layout`` (the minutes PDF, from ``templates/``), ``cli`` (``qms review …``), ``demo``.
"""

__version__ = "0.1.0"
