"""The form numbers of QP-8.3-01 and how a record names its project (plain constants, no logic)."""

from __future__ import annotations

PROCEDURE = "QP-8.3-01"
PROJECT = "QR-8.3-01"  # 项目登记表 XM
GATE = "QR-8.3-02"  # 阶段评审记录 PS
ACCEPTANCE = "QR-8.3-03"  # 质量验收记录 YS
RECTIFICATION = "QR-8.3-04"  # 整改通知单 ZG
ACCIDENT = "QR-8.3-05"  # 质量事故报告 ZS
CHANGE = "QR-8.3-06"  # 变更申请单 BG
CLOSEOUT = "QR-8.3-07"  # 项目结项报告 JX

ALL = (PROJECT, GATE, ACCEPTANCE, RECTIFICATION, ACCIDENT, CHANGE, CLOSEOUT)
#: Forms whose records belong to one project through their ``project`` field.
CHILDREN = (GATE, ACCEPTANCE, RECTIFICATION, ACCIDENT, CHANGE, CLOSEOUT)

PASSING = ("通过", "有条件通过")
GRADES = ("不合格", "合格", "良好", "优等")
GRADE_EN = {"不合格": "Fail", "合格": "Pass", "良好": "Good", "优等": "Excellent", "优良": "Good / excellent"}

# Signature meanings of the signed transitions (the core records them on the envelope).
SIGN_BASELINE = "批准基线 baseline approved"
SIGN_REBASELINE = "重新批准基线 baseline re-approved"
SIGN_GATE = "评审签署 gate reviewed"
SIGN_ACCEPTANCE = "验收签署 acceptance signed"
SIGN_REINSPECTION = "复验 re-inspected"
SIGN_ACCIDENT = "报告 reported"
SIGN_MEMBER = "决策委员会委员签署 committee member signed"
SIGN_COMMITTEE = "决策委员会批准 committee approved"
SIGN_CLOSEOUT = "批准结项 close-out approved"
