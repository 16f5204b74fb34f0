"""The ``qms`` command's entry point: a ``qms render`` goes to a running render service before the CLI loads.

Everything else, and a ``render`` no service takes, runs through ``qms.cli.main``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point (``qms``, ``python -m qms``)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "render" in args:
        # Before click groups, pluggy and the plugins are imported: a served command costs the service's work.
        from qms.render.service import hand_over

        code = hand_over(args)
        if code is not None:
            sys.exit(code)
    from qms.cli import main as run

    run(args)
