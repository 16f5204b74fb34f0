"""The Equipment Control procedure (设备管理程序) as a qms plugin: its procedure, forms and record workflows."""

from __future__ import annotations

from qms import hookimpl
from qms.registry import Procedure, Registry

__version__ = "0.1.0"

PROCEDURE = Procedure(number="QP-7.1-01", title="设备管理程序", title_en="Equipment Control", owner="设备科", slug="equipment")


@hookimpl
def qms_register_procedures(registry: Registry) -> None:
    """Register the Equipment Control procedure."""
    registry.add_procedure(PROCEDURE)
