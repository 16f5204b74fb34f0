"""The training record's workflow: planned → held → evaluated (signed), and its deadline."""

from __future__ import annotations

from qms.api import State, Transition, Workflow

FORM = "QR-7.2-01"
EVALUATION = "有效性评价 evaluated effective"

WORKFLOW = Workflow(
    form=FORM,
    states=(
        State("planned", "已计划 Planned"),
        State("held", "已实施 Held", requires=("held_on", "attendees")),
        State("evaluated", "已评价 Evaluated", requires=("evaluation",), closed=True),
    ),
    transitions=(
        Transition("planned", "held", roles=("department", "quality_officer"), label="实施 Hold"),
        Transition("held", "evaluated", roles=("quality_officer",), signature=EVALUATION, label="评价 Evaluate"),
    ),
    initial="planned",
)
