"""The four forms of QP-8.5-01 and their category lists, shared by the rules, workflows and layouts."""

from __future__ import annotations

PROCEDURE = "QP-8.5-01"
REQUEST = "QR-8.5-01"  # 服务请求登记表, FW
REPAIR = "QR-8.5-02"  # 维修派工单, PG
VISIT = "QR-8.5-03"  # 维修回访记录, WH
PASS = "QR-8.5-04"  # 园区车辆通行证, TX
FORMS: tuple[str, ...] = (REQUEST, REPAIR, VISIT, PASS)

#: The complaints procedure's report, which owner complaints are handed to.
COMPLAINT = "QR-8.2-01"

REQUEST_TYPES: tuple[str, ...] = ("咨询", "投诉", "报修", "其他")
LINE = "电话"  # the 7×24 service line
PATROL = "巡查发现"

#: Property complaint categories (seed 000 doc 10) and their sub-items.
COMPLAINT_CATEGORIES: dict[str, tuple[str, ...]] = {
    "物业质量": ("渗漏", "粉刷", "安装", "污损", "配套设施不达标", "材料质量档次", "环保", "绿化", "烟道", "其他"),
    "物业管理": ("保安", "保洁", "绿化", "维修", "服务", "其他"),
}

SERVICE_CLASSES: dict[str, str] = {
    "A": "A 有偿 Chargeable", "B": "B 维保合同 Maintenance contract", "C": "C 保修期内免费 Free under warranty",
    "D": "D 内部/设施设备 Internal / facilities",
}
#: Classes whose work is never charged to the customer.
FREE_CLASSES: frozenset[str] = frozenset({"C", "D"})

SATISFIED: frozenset[str] = frozenset({"非常满意", "满意"})
SATISFACTION_LEVELS: tuple[str, ...] = ("非常满意", "满意", "一般", "不满意")

EXTERNAL = "外部车辆"
DOCUMENT_KINDS: tuple[str, ...] = ("身份证", "驾驶证", "机动车行驶证")
YELLOW = "黄色"
GREEN = "浅绿色"


def pass_colour(category: str) -> str:
    """External vehicles get a yellow pass, group employees and guests a light-green one."""
    return YELLOW if category == EXTERNAL else GREEN


def _num(data: dict[str, object], key: str) -> float:
    value = data.get(key) or 0
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def deposit_due_back(data: dict[str, object]) -> float:
    """The deposit standing on a pass: paid on it plus carried in from the pass it renews, less moved on."""
    return _num(data, "deposit") + _num(data, "deposit_carried") - _num(data, "deposit_transferred")


def money(amount: float) -> int | float:
    """An amount of yuan as stored: a whole number when it is one (50, not 50.0)."""
    return int(amount) if float(amount).is_integer() else round(amount, 2)


def deposit_held(data: dict[str, object]) -> float:
    """The deposit still held for a pass: what stands on it less what 财务部 refunded."""
    return deposit_due_back(data) - _num(data, "refund_amount")
