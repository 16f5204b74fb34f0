"""The Property Services procedure (物业服务程序) as a qms plugin: its procedure, forms and record workflows.

The hooks are thin; the work is in modules named after their noun: ``rules`` (cross-field checks
and vetoes), ``workflow`` (states and transitions), ``effects`` (what follows a move), ``due``
(configurable deadlines), ``report`` (the status), ``figures`` (dashboard figures), ``layout`` (the repair order with its
service voucher and the pass card, from ``templates/``), ``intake``/``repairs``/``passes`` (services across records)
and ``cli`` (``qms property …``).
"""

__version__ = "0.1.0"
