"""The management review record's workflow: draft → held → approved (signed by the 总经理) → closed.

* ``draft`` 已起草: filed with the inputs gathered from the system; they may be gathered again until
  the meeting is held;
* ``held`` 已召开: the meeting took place (time, attendees, conclusion); the inputs are frozen;
* ``approved`` 已批准: the 总经理 signs the report with their password (post 总经理, whatever the
  role); from then on only the progress of the outputs (done date, result) may change;
* ``closed`` 已关闭: every output is done; immutable.
"""

from __future__ import annotations

from qms.api import State, Transition, Workflow

FORM = "QR-9.3-01"
PROCEDURE = "QP-9.3-01"
#: The post (职务) that approves a management review (ISO 9001 5.1 and 9.3: top management).
APPROVER_POST = "总经理"
APPROVAL = "批准 management review approved"
#: Who prepares and runs the review: the quality office and the management representative.
ORGANISERS = ("quality_officer", "approver", "admin")

STATES: tuple[State, ...] = (
    State("draft", "已起草 Draft"),
    State("held", "已召开 Held", requires=("held_at", "attendees", "conclusion")),
    State("approved", "已批准 Approved"),
    State("closed", "已关闭 Closed", closed=True),
)

TRANSITIONS: tuple[Transition, ...] = (
    Transition("draft", "held", ORGANISERS, label="会议已召开 Meeting held"),
    # Any role with the post: the general manager may hold the approver or the admin role.
    Transition("held", "approved", (), signature=APPROVAL, posts=(APPROVER_POST,), label="总经理批准 Approve"),
    Transition("approved", "closed", ORGANISERS, label="输出全部完成，关闭 Close"),
)

WORKFLOW = Workflow(form=FORM, states=STATES, transitions=TRANSITIONS, initial="draft")

#: States in which the outputs are decisions being carried out (they show in ``qms due``).
TRACKED = ("held", "approved")

__all__ = ["APPROVAL", "APPROVER_POST", "FORM", "PROCEDURE", "STATES", "TRACKED", "TRANSITIONS", "WORKFLOW"]
