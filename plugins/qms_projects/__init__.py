"""The Project Lifecycle Management procedure (项目运作管理程序) as a qms plugin: its procedure, forms and record workflows."""

from __future__ import annotations

from qms import hookimpl
from qms.registry import Procedure, Registry

__version__ = "0.1.0"

PROCEDURE = Procedure(number="QP-8.3-01", title="项目运作管理程序", title_en="Project Lifecycle Management", owner="项目部", slug="projects")


@hookimpl
def qms_register_procedures(registry: Registry) -> None:
    """Register the Project Lifecycle Management procedure."""
    registry.add_procedure(PROCEDURE)
