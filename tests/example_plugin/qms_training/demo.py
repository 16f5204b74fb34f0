"""The training plugin's step of ``qms demo``: one training, held and evaluated."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qms import api

from qms_training.workflow import FORM

if TYPE_CHECKING:
    from qms.api import DemoContext, DemoStep


def step_training(ctx: DemoContext) -> None:
    """File a training record and take it to its evaluation."""
    app = ctx.app.acting_as("li")
    record = api.file_record(app, FORM, {"topic": "计量器具使用", "trainer": "zhou", "planned_on": "2026-11-03"})
    ctx.say(f"training: {record['number']}")


def steps() -> list[DemoStep]:
    """This procedure's step of ``qms demo``."""
    return [(60, step_training)]
