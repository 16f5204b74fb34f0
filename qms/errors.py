"""The one error hierarchy of the core, and the exit codes the CLI maps it to.

Every error a user can cause is a ``QMSError``: its message is one line saying what is wrong
and what to do. The CLI prints that line and exits with ``exit_code``; anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the ``qms`` command."""

    OK = 0
    NONCONFORMITY = 1  # validation failure, refused action, verification failure
    USAGE = 2  # wrong arguments, unknown object, missing workspace
    PLUGIN_ERROR = 3


class QMSError(Exception):
    """Base of every error the user can cause; ``str(err)`` is the one line shown."""

    exit_code: ExitCode = ExitCode.NONCONFORMITY


class UsageError(QMSError):
    """The command was asked for something that cannot be (unknown object, bad path, bad value)."""

    exit_code = ExitCode.USAGE


class WorkspaceError(UsageError):
    """No workspace found, or the workspace configuration is malformed."""


class ConfigError(WorkspaceError):
    """``qms.toml`` is malformed or holds an impossible value."""


class NotFound(UsageError):
    """A named document, record, user or form does not exist."""


class AuthError(QMSError):
    """Unknown user, wrong password or a role that does not allow the action."""


class PermissionDenied(AuthError):
    """The acting user's role does not allow the action."""


class Refused(QMSError):
    """A rule of the quality system refuses the action (state, segregation of duties, veto)."""


class ValidationFailed(QMSError):
    """Data failed validation; ``problems`` holds one line per problem, all reported at once."""

    def __init__(self, problems: list[str], what: str = "data") -> None:
        self.problems = problems
        super().__init__(f"{what} is not valid ({len(problems)} problem(s)): " + "; ".join(problems))


class StoreError(QMSError):
    """The store could not be read or written (lock timeout, corrupt file)."""


class WriteConflict(StoreError):
    """Another writer changed the same objects at the same moment and this unit of work was undone whole.

    Nothing of the unit was kept, so doing it again is safe; ``qms.records.retrying`` does so.
    """


class PluginError(QMSError):
    """A plugin failed to import, registered something twice or broke the hook contract."""

    exit_code = ExitCode.PLUGIN_ERROR
