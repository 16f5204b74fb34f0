"""The nonconformity and corrective action procedure (不合格与纠正措施, ISO 9001 10.2) as a qms plugin.

One register of nonconformity reports (QR-10.2-01 不合格报告及纠正措施单, prefix NC) for every place
a nonconformity is found: a customer complaint, an internal audit finding, a failed calibration
and its impact, a failed project acceptance, or something seen in the company's own work. The
other procedures raise a report through the core's ``nonconformity`` effect; this plugin answers
``qms_raise_nonconformity`` with the record to file, once per source record. A report moves
待处理 → 原因分析 → 措施实施 → 效果验证 → 关闭: containment first, the root cause as a 5-why
chain or a fishbone (人机料法环测), actions with owners and due dates on the working-day calendar,
and an effectiveness check signed by someone who neither raised it nor owns an action.
"""

__version__ = "0.1.0"
