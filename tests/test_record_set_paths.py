"""``--set`` reaches into lists and groups: ``actions[0].done_at=…`` changes one item of a record's list."""

from __future__ import annotations

from pathlib import Path

from click.testing import Result

from qms import records
from qms.cli import make_cli
from tests.plugins.complaints_kit import CAUSES, INTERNAL, PASSWORD, at, file, make_app, step, to_investigating


def _qms(app, *args: str, input: str | None = None) -> Result:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    argv = ["--workspace", str(app.workspace.root), *args]
    # Every user of the kit has PASSWORD: it proves who --as names.
    return CliRunner().invoke(make_cli(app.host), argv, input=input, env={"QMS_PASSWORD": PASSWORD},
                              catch_exceptions=False)


def test_a_vetoed_verification_names_a_set_path_that_the_cli_accepts(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    number = file(app)
    to_investigating(app, number)
    step(app, number, "li", "2026-10-12T15:00:00", "cause_analysis", INTERNAL)
    step(app, number, "sun", "2026-10-13T09:00:00", "corrective_action",
         {**CAUSES, "actions": [*CAUSES["actions"], {"type": "预防措施", "action": "增加比色检查", "owner": "sun",
                                                     "due": "2026-10-25"}]})
    with at("2026-10-20T09:00:00"):
        refused = _qms(app, "--as", "li", "record", "move", number, "verified", "--password-stdin", input=PASSWORD + "\n")
        assert refused.exit_code == 1
        assert f"qms record update {number} --set actions[0].done_at=" in refused.output
        done = _qms(app, "--as", "sun", "record", "update", number, "--set", "actions[0].done_at=2026-10-19",
                    "--set", "actions[1].done_at=2026-10-19", "--set", "verification_result=有效")
        assert done.exit_code == 0, done.output
    actions = records.get(app, number)["data"]["actions"]
    # Only the one field changed: the rest of each item is kept.
    assert actions == [{**CAUSES["actions"][0], "done_at": "2026-10-19"},
                       {"type": "预防措施", "action": "增加比色检查", "owner": "sun", "due": "2026-10-25",
                        "done_at": "2026-10-19"}]
    with at("2026-10-20T09:10:00"):
        moved = _qms(app, "--as", "li", "record", "move", number, "verified", "--password-stdin", input=PASSWORD + "\n")
    assert moved.exit_code == 0, moved.output


def test_set_paths_add_an_item_clear_a_field_and_refuse_a_gap(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    number = file(app)
    to_investigating(app, number)
    with at("2026-10-12T10:00:00"):
        added = _qms(app, "--as", "li", "record", "update", number, "--set", "main_causes[0].category=机",
                     "--set", "main_causes[0].text=温控器漂移")
        assert added.exit_code == 0, added.output
        assert records.get(app, number)["data"]["main_causes"] == [{"category": "机", "text": "温控器漂移"}]
        before = records.get(app, number)
        gap = _qms(app, "--as", "li", "record", "update", number, "--set", "main_causes[3].text=x")
        assert gap.exit_code == 2
        assert gap.output.strip() == ("Error: --set 'main_causes[3].text=x': main_causes has 1 item(s); "
                                      "give an index from 0 to 1 (1 adds an item)")
        bad = _qms(app, "--as", "li", "record", "update", number, "--set", "main_causes[x=1")
        assert bad.exit_code == 2 and "a path such as actions[0].done_at=VALUE" in bad.output
        assert records.get(app, number) == before
        cleared = _qms(app, "--as", "li", "record", "update", number, "--set", "main_causes[0].text=")
    assert cleared.exit_code == 1 and "main_causes[0].text" in cleared.output and "is required" in cleared.output
