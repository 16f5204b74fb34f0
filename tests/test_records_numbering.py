"""Record numbers: per form and year, gap-free and unique with several OS processes filing at once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from recordkit import FORM_NUMBER, SIMPLE_FORM, as_user, good_data, make_workspace

from qms import records
from qms.verify import verify_store

TESTS = Path(__file__).parent

FILER = """
import sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from recordkit import RecordsTestPlugin, good_data, make_host, FORM_NUMBER
from qms import records
from qms.app import App
from qms.workspace import Workspace
app = App(Workspace.open(Path({root!r})), make_host(RecordsTestPlugin()), "li")
for i in range({count}):
    records.file(app, FORM_NUMBER, good_data(customer="process {worker} row %d" % i))
"""


@pytest.mark.slow
def test_concurrent_filing_from_several_processes_is_gap_free_and_unique(tmp_path: Path) -> None:
    app = make_workspace(tmp_path / "ws")
    workers, count = 4, 15
    env = {**os.environ, "QMS_NOW": "2026-10-09T09:00:00"}
    procs = [
        subprocess.Popen([sys.executable, "-c", FILER.format(tests=str(TESTS), root=str(app.workspace.root),
                                                             count=count, worker=w)],
                         env=env, stderr=subprocess.PIPE, text=True)
        for w in range(workers)
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    numbers = sorted(app.store.keys("records"))
    assert numbers == [f"TJ-2026-{n:04d}" for n in range(1, workers * count + 1)]
    customers = {records.get(app, n)["data"]["customer"] for n in numbers}
    assert len(customers) == workers * count  # no record overwrote another
    assert verify_store(app.store, app.workspace.root).ok


def test_numbers_run_per_form_and_per_year(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = as_user(make_workspace(tmp_path / "ws"), "li")
    monkeypatch.setenv("QMS_NOW", "2026-12-31T23:00:00")
    assert records.file(app, FORM_NUMBER, good_data())["number"] == "TJ-2026-0001"
    assert records.file(app, FORM_NUMBER, good_data())["number"] == "TJ-2026-0002"
    assert records.file(app, SIMPLE_FORM, {"subject": "x"})["number"] == "JD-2026-0001"
    monkeypatch.setenv("QMS_NOW", "2027-01-01T08:00:00")
    assert records.file(app, FORM_NUMBER, good_data())["number"] == "TJ-2027-0001"


def test_a_refused_filing_does_not_consume_a_number(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")
    app = as_user(make_workspace(tmp_path / "ws"), "li")
    records.file(app, FORM_NUMBER, good_data())
    with pytest.raises(Exception, match="not valid"):
        records.file(app, FORM_NUMBER, good_data(quantity=0))
    assert records.file(app, FORM_NUMBER, good_data())["number"] == "TJ-2026-0002"


def test_a_sequence_file_that_fell_behind_skips_numbers_already_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")
    app = as_user(make_workspace(tmp_path / "ws"), "li")
    records.file(app, FORM_NUMBER, good_data())
    records.file(app, FORM_NUMBER, good_data())
    assert app.store.advance_sequence("QR-9.9-01:2026", 2, 1)  # the sequence set back, as by a restored backup
    assert records.file(app, FORM_NUMBER, good_data())["number"] == "TJ-2026-0003"


def test_the_number_pattern_comes_from_the_form_or_qms_toml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QMS_NOW", "2026-10-09T09:00:00")
    app = as_user(make_workspace(tmp_path / "ws"), "li")
    path = app.workspace.forms / f"{SIMPLE_FORM}.yaml"
    path.write_text(path.read_text(encoding="utf-8") + "number_pattern: '{prefix}{year}-{seq:03d}'\n", encoding="utf-8")
    assert records.file(app, SIMPLE_FORM, {"subject": "x"})["number"] == "JD2026-001"
