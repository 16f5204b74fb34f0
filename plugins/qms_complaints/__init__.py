"""The Customer Complaint Handling procedure (客户投诉处理程序) as a qms plugin: its procedure, forms and record workflows."""

from __future__ import annotations

from qms import hookimpl
from qms.registry import Procedure, Registry

__version__ = "0.1.0"

PROCEDURE = Procedure(number="QP-8.2-01", title="客户投诉处理程序", title_en="Customer Complaint Handling", owner="品质部", slug="complaints")


@hookimpl
def qms_register_procedures(registry: Registry) -> None:
    """Register the Customer Complaint Handling procedure."""
    registry.add_procedure(PROCEDURE)
