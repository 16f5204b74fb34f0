"""The Property Services procedure (物业服务程序) as a qms plugin: its procedure, forms and record workflows."""

from __future__ import annotations

from qms import hookimpl
from qms.registry import Procedure, Registry

__version__ = "0.1.0"

PROCEDURE = Procedure(number="QP-8.5-01", title="物业服务程序", title_en="Property Services", owner="物业管理部", slug="property")


@hookimpl
def qms_register_procedures(registry: Registry) -> None:
    """Register the Property Services procedure."""
    registry.add_procedure(PROCEDURE)
