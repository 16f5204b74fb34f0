"""The Equipment Control procedure (设备管理程序 QP-7.1-01) as a qms plugin.

Six forms (设备卡片 SB, 保养 BY, 校准 JZ, 维修 WX, 事故 SG, 报废 BF) with their workflows, the rules of the
procedure, calibration reminders and automatic 停用, the out-of-tolerance impact list, the check
that refuses unusable equipment named in any plugin's record (``x-ref: equipment`` fields), the
dashboard figures and the ``qms equipment`` commands. The hook implementations are in
``hooks``; they delegate to the modules named after their noun.
"""

__version__ = "0.1.0"
