"""The core and the four procedure plugins type-check (mypy, settings in pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_core_and_plugins_type_check() -> None:
    targets = ["qms", *(str(p) for p in sorted((ROOT / "plugins").glob("qms_*")))]
    result = subprocess.run([sys.executable, "-m", "mypy", *targets], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
