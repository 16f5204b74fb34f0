"""The ``[property]`` table of ``qms.toml``: repair time limits per urgency, the return-visit limit, pass rules.

Every value has a default from the procedure QP-8.5-01 §6, so a workspace without the table works::

    [property]
    visit_within = "3wd"          # return visit after completion (30min, 24h, 3d, 3wd …)
    line_answer_target = 0.9      # service-line answer rate target
    pass_deposit = 50             # CNY, external vehicles
    director = "客服中心主任"      # who unresolved return visits escalate to

    [property.limits.urgent]      # 紧急
    response = "15min"
    arrival = "30min"

    [property.limits.normal]      # 一般
    response = "2h"
    arrival = "24h"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from qms.api import ConfigError, parse_limit, UsageError

if TYPE_CHECKING:
    from qms.api import App


#: The urgency values of the forms and their keys in ``[property.limits]``.
URGENCY_KEYS: dict[str, str] = {"紧急": "urgent", "一般": "normal"}

DEFAULT_LIMITS: dict[str, dict[str, str]] = {
    "紧急": {"response": "15min", "arrival": "30min"},
    "一般": {"response": "2h", "arrival": "24h"},
}
DEFAULT_VISIT = "3wd"
DEFAULT_DEPOSIT = 50
DEFAULT_TARGET = 0.9
DIRECTOR = "客服中心主任"


@dataclass(frozen=True)
class PropertyConfig:
    """The property-services settings of one workspace."""

    limits: dict[str, dict[str, str]] = field(default_factory=lambda: {k: dict(v) for k, v in DEFAULT_LIMITS.items()})
    visit_within: str = DEFAULT_VISIT
    line_answer_target: float = DEFAULT_TARGET
    pass_deposit: int = DEFAULT_DEPOSIT
    director: str = DIRECTOR

    def for_urgency(self, urgency: str) -> dict[str, str]:
        """The response, arrival and return-visit limits of a repair of ``urgency`` (紧急 or 一般)."""
        limits = self.limits.get(urgency) or self.limits["一般"]
        return {"response": limits["response"], "arrival": limits["arrival"], "visit": self.visit_within}


def _limit(value: Any, where: str) -> str:
    try:
        parse_limit(str(value))
    except UsageError as exc:
        raise ConfigError(f"{where} in qms.toml is {value!r}: {exc}") from exc
    return str(value)


def from_raw(raw: dict[str, Any]) -> PropertyConfig:
    """The settings from the parsed ``qms.toml`` (``Config.raw``); a wrong value is one ``ConfigError``."""
    table = raw.get("property", {})
    if not isinstance(table, dict):
        raise ConfigError("[property] in qms.toml must be a table; fix it")
    limits = {k: dict(v) for k, v in DEFAULT_LIMITS.items()}
    given = table.get("limits", {})
    if not isinstance(given, dict):
        raise ConfigError("[property.limits] in qms.toml must be a table of urgent/normal tables")
    for urgency, key in URGENCY_KEYS.items():
        entry = given.get(key, {})
        if not isinstance(entry, dict):
            raise ConfigError(f"[property.limits.{key}] in qms.toml must be a table with response and arrival")
        for what in ("response", "arrival"):
            if what in entry:
                limits[urgency][what] = _limit(entry[what], f"[property.limits.{key}] {what}")
    unknown = sorted(set(given) - set(URGENCY_KEYS.values()))
    if unknown:
        raise ConfigError(f"[property.limits] in qms.toml has unknown urgency {', '.join(unknown)}; use urgent and normal")
    target = table.get("line_answer_target", DEFAULT_TARGET)
    if not isinstance(target, (int, float)) or isinstance(target, bool) or not 0 < target <= 1:
        raise ConfigError(f"[property] line_answer_target in qms.toml must be a fraction such as 0.9, not {target!r}")
    deposit = table.get("pass_deposit", DEFAULT_DEPOSIT)
    if not isinstance(deposit, int) or isinstance(deposit, bool) or deposit < 0:
        raise ConfigError(f"[property] pass_deposit in qms.toml must be a whole number of yuan, not {deposit!r}")
    director = table.get("director", DIRECTOR)
    if not isinstance(director, str) or not director.strip():
        raise ConfigError("[property] director in qms.toml must name who unresolved return visits go to")
    return PropertyConfig(limits=limits, visit_within=_limit(table.get("visit_within", DEFAULT_VISIT), "[property] visit_within"),
                          line_answer_target=float(target), pass_deposit=deposit, director=director)


def of(app: App) -> PropertyConfig:
    """The ``[property]`` settings of ``app``'s workspace."""
    return from_raw(app.workspace.config.raw)
