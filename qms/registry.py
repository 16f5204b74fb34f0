"""What plugins declare: procedures, form bindings and record workflows, and the registry collecting them.

These are frozen dataclasses of plain values so a plugin can build them without touching the
core's services. The registry records which plugin declared what, so a duplicate names both.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from qms.errors import PluginError


@dataclass(frozen=True)
class Procedure:
    """A controlled procedure a plugin implements, e.g. ``QP-8.2-01`` 客户投诉处理程序."""

    number: str
    title: str
    title_en: str
    owner: str  # owning department, e.g. 品质部
    slug: str = ""


@dataclass(frozen=True)
class FormBinding:
    """States that the form ``number`` (defined in ``forms/NUMBER.yaml``) belongs to ``procedure``."""

    number: str
    procedure: str


@dataclass(frozen=True)
class State:
    """One state of a record workflow; ``requires`` lists fields that must be filled to enter it."""

    name: str
    label: str = ""
    requires: tuple[str, ...] = ()
    closed: bool = False  # a closed record is immutable


@dataclass(frozen=True)
class Transition:
    """An allowed move between two states, with the roles that may make it.

    ``signature`` names the meaning when the move is a signed act (e.g. ``"批准 approved reply"``);
    the core then asks the actor's password again.

    ``posts`` and ``depts`` narrow who may make the move beyond ``roles``: the actor must hold one
    of the ``posts`` (职务, e.g. 总经理) or belong to one of the ``depts`` (either is enough when
    both are given). Empty means no such requirement. A plugin whose requirement depends on the
    record's fields returns it from ``qms_transition_signers`` instead.
    """

    source: str
    target: str
    roles: tuple[str, ...] = ()
    signature: str | None = None
    label: str = ""
    posts: tuple[str, ...] = ()
    depts: tuple[str, ...] = ()


@dataclass(frozen=True)
class Deadline:
    """A time limit on a record, counted from a field or from entering a state.

    ``limit`` is a duration such as ``"30min"``, ``"24h"``, ``"7wd"`` (working days on the Chinese
    calendar), ``"5d"`` or ``"2mo"``. The item is open from ``start`` until the record reaches one of
    ``until`` (or any closed state). ``when`` optionally names a field that must be truthy.
    """

    id: str
    label: str
    limit: str
    start: str  # "field:received_at" or "state:registered"
    until: tuple[str, ...] = ()
    owner: str = ""  # role or department responsible
    when: str | None = None


@dataclass(frozen=True)
class Workflow:
    """The states and transitions of records on one form."""

    form: str
    states: tuple[State, ...]
    transitions: tuple[Transition, ...]
    initial: str
    deadlines: tuple[Deadline, ...] = ()

    def state(self, name: str) -> State | None:
        """The state called ``name``, or ``None``."""
        return next((s for s in self.states if s.name == name), None)


@dataclass
class Registry:
    """Collects what every plugin registers; refuses duplicates, naming both plugins."""

    procedures: dict[str, Procedure] = field(default_factory=dict)
    forms: dict[str, FormBinding] = field(default_factory=dict)
    workflows: dict[str, Workflow] = field(default_factory=dict)
    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    current_plugin: str = "?"

    def _claim(self, kind: str, key: str) -> None:
        previous = self.owners.get((kind, key))
        if previous is not None:
            raise PluginError(
                f"plugin {self.current_plugin!r} registers {kind} {key} which plugin {previous!r} "
                f"already registered; disable one of them with --disable-plugin NAME"
            )
        self.owners[(kind, key)] = self.current_plugin

    def add_procedure(self, procedure: Procedure) -> None:
        """Register a procedure."""
        self._claim("procedure", procedure.number)
        self.procedures[procedure.number] = procedure

    def add_form(self, binding: FormBinding) -> None:
        """Register a form as belonging to a procedure."""
        self._claim("form", binding.number)
        self.forms[binding.number] = binding

    def add_workflow(self, workflow: Workflow) -> None:
        """Register the workflow of a form's records."""
        self._claim("workflow", workflow.form)
        names = {s.name for s in workflow.states}
        bad = [t for t in workflow.transitions if t.source not in names or t.target not in names]
        if workflow.initial not in names or bad:
            raise PluginError(
                f"plugin {self.current_plugin!r} registers a workflow for {workflow.form} with "
                f"transitions or an initial state outside its states; fix the plugin"
            )
        self.workflows[workflow.form] = workflow

    def owner(self, kind: str, key: str) -> str | None:
        """The plugin that registered ``kind`` ``key``."""
        return self.owners.get((kind, key))
